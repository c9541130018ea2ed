package validate

import (
	"fmt"
	"time"

	"sigs.k8s.io/yaml"
)

// DefaultShutdownTimeout is the worker's worker.shutdown_timeout when the
// config does not set it (internal/config).
const DefaultShutdownTimeout = 25 * time.Second

// WorkerConfig is the part of the worker's config file that deployment
// settings depend on. The product's own loader checks the whole file in
// deploy/deploy_test.go; this module does not import the product.
type WorkerConfig struct {
	Worker struct {
		ShutdownTimeout string `json:"shutdown_timeout"`
	} `json:"worker"`
	HTTP struct {
		Listen string `json:"listen"`
	} `json:"http"`
	Merchants []struct {
		MchID                  string `json:"mchid"`
		PrivateKeyFile         string `json:"private_key_file"`
		WeChatPayPublicKeyFile string `json:"wechatpay_public_key_file"`
	} `json:"merchants"`
}

// ParseWorkerConfig reads the fields of WorkerConfig from a worker config
// file's bytes; other keys are ignored.
func ParseWorkerConfig(data []byte) (*WorkerConfig, error) {
	var c WorkerConfig
	if err := yaml.Unmarshal(data, &c); err != nil {
		return nil, fmt.Errorf("worker config: %w", err)
	}
	return &c, nil
}

// ShutdownTimeout is worker.shutdown_timeout, or its default.
func (c *WorkerConfig) ShutdownTimeout() (time.Duration, error) {
	if c.Worker.ShutdownTimeout == "" {
		return DefaultShutdownTimeout, nil
	}
	d, err := time.ParseDuration(c.Worker.ShutdownTimeout)
	if err != nil {
		return 0, fmt.Errorf("worker.shutdown_timeout: %w", err)
	}
	return d, nil
}
