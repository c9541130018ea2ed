package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"

	"go.yaml.in/yaml/v3"
)

// Load reads the YAML file at path (unknown keys are errors, with their line),
// applies environment overrides and defaults, and validates the result,
// reporting every problem at once.
func Load(path string) (*Config, error) { return load(path, (*Config).Validate) }

// Parse is Load for bytes already read; name is used in messages.
func Parse(data []byte, name string) (*Config, error) { return parse(data, name, (*Config).Validate) }

// load reads path and parses it with validate.
func load(path string, validate func(*Config) error) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	return parse(data, path, validate)
}

// parse decodes data strictly, applies the environment and the defaults,
// and checks the result with validate.
func parse(data []byte, name string, validate func(*Config) error) (*Config, error) {
	var c Config
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&c); err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("config %s: %s", name, nameKeys(data, err.Error()))
	}
	c.applyEnv(os.LookupEnv)
	c.applyDefaults()
	if err := validate(&c); err != nil {
		return nil, fmt.Errorf("config %s: %w", name, err)
	}
	return &c, nil
}

// DevMchID is the merchant account of the built-in defaults (sandbox mode):
// the account the demo and the shipped config.yaml use.
const DevMchID = "1900000001"

// Default returns the configuration used when no file is given: embedded
// JetStream and the WeChat Pay sandbox, like the shipped config.yaml.
func Default() *Config {
	c := &Config{WeChat: WeChat{Sandbox: true}, Merchants: []Merchant{{MchID: DevMchID}}}
	c.applyEnv(os.LookupEnv)
	c.applyDefaults()
	return c
}
