package config

import (
	"fmt"
)

// LoadProducer reads the configuration file at path for a producer or an
// operator's tool (enqueue, couponq): the same file as the worker's, but only
// what such a tool uses is checked — the NATS connection, the stream shape
// and the limits (for estimates). The merchants section may be absent, and
// merchant key files are never opened: a producer needs no secret of a
// merchant and must be able to run where none is mounted.
func LoadProducer(path string) (*Config, error) { return load(path, (*Config).ValidateProducer) }

// ParseProducer is LoadProducer for bytes already read; name is used in
// messages.
func ParseProducer(data []byte, name string) (*Config, error) {
	return parse(data, name, (*Config).ValidateProducer)
}

// ValidateProducer checks what a producer uses (nats, streams, limits, log)
// and returns every problem at once, each naming its key. It never reads a
// merchant key file.
func (c *Config) ValidateProducer() error {
	var p problems
	c.validateNATS(&p)
	c.validateStreams(&p)
	c.validateLimits(&p)
	for i, m := range c.Merchants {
		if !mchidPattern.MatchString(m.MchID) {
			p.add(fmt.Sprintf("merchants[%d].mchid", i), "must be the numeric merchant id, got %q", m.MchID)
		}
	}
	return p.err()
}
