package config_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/couponq/couponq/internal/config"
)

// cleanEnv removes every COUPONQ_* variable for the length of the test, so
// the developer's or CI's environment cannot change the outcome. Tests that
// use it (and t.Setenv) cannot run in parallel.
func cleanEnv(t *testing.T) {
	t.Helper()
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(k, "COUPONQ_") {
			t.Setenv(k, "") // restores the old value on cleanup
			require.NoError(t, os.Unsetenv(k))
		}
	}
}

// parse runs config.Parse on yaml with a clean environment plus env.
func parse(t *testing.T, yaml string, env ...string) (*config.Config, error) {
	t.Helper()
	cleanEnv(t)
	require.Zero(t, len(env)%2, "env is key, value pairs")
	for i := 0; i < len(env); i += 2 {
		t.Setenv(env[i], env[i+1])
	}
	return config.Parse([]byte(yaml), "test.yaml")
}

// keyFiles writes two readable placeholder PEM files and returns their paths
// (validation checks that key files can be read; loading them is the wechat
// package's business).
func keyFiles(t *testing.T) (privateKey, publicKey string) {
	t.Helper()
	dir := t.TempDir()
	privateKey = filepath.Join(dir, "apiclient_key.pem")
	publicKey = filepath.Join(dir, "wxp_pub.pem")
	require.NoError(t, os.WriteFile(privateKey, []byte("-----BEGIN PRIVATE KEY-----\n-----END PRIVATE KEY-----\n"), 0o600))
	require.NoError(t, os.WriteFile(publicKey, []byte("-----BEGIN PUBLIC KEY-----\n-----END PUBLIC KEY-----\n"), 0o600))
	return privateKey, publicKey
}

// productionYAML is a complete production configuration for one merchant.
func productionYAML(privateKey, publicKey string) string {
	return `
wechat:
  sandbox: false
merchants:
  - mchid: "1900000001"
    cert_serial_no: 5157F09EFDC096DE15EBE81A47057A7232F1B8E1
    private_key_file: ` + privateKey + `
    wechatpay_public_key_id: PUB_KEY_ID_0114232134912410000000000000
    wechatpay_public_key_file: ` + publicKey + `
`
}

// requireProblems asserts that err reports every fragment, each its own
// joined problem, and returns the problems.
func requireProblems(t *testing.T, err error, fragments ...string) []error {
	t.Helper()
	require.Error(t, err)
	var probs []error
	collect(err, &probs)
	for _, f := range fragments {
		found := false
		for _, p := range probs {
			if strings.Contains(p.Error(), f) {
				found = true
				break
			}
		}
		require.True(t, found, "no problem mentions %q in:\n%v", f, err)
	}
	return probs
}

// collect flattens wrapped and joined errors into their leaves.
func collect(err error, into *[]error) {
	switch e := err.(type) {
	case interface{ Unwrap() []error }:
		for _, inner := range e.Unwrap() {
			collect(inner, into)
		}
	case interface{ Unwrap() error }:
		if inner := e.Unwrap(); inner != nil {
			if _, joined := inner.(interface{ Unwrap() []error }); joined {
				collect(inner, into)
				return
			}
		}
		*into = append(*into, err)
	default:
		*into = append(*into, err)
	}
}
