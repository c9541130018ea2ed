package sandbox_test

import (
	"crypto/x509"
	"encoding/pem"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/couponq/couponq/wechat/marketing"

	"github.com/stretchr/testify/require"

	"github.com/couponq/couponq/wechat"
	"github.com/couponq/couponq/wechat/sandbox"
)

func TestGenerateMerchant(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "keys")
	keys, files, err := sandbox.GenerateMerchant(dir, "1900000009")
	require.NoError(t, err)
	require.Equal(t, "1900000009", keys.MchID)
	require.True(t, strings.HasPrefix(keys.CertSerialNo, "SANDBOX"), keys.CertSerialNo)
	require.True(t, strings.HasPrefix(keys.PublicKeyID, "PUB_KEY_ID_SANDBOX_"), keys.PublicKeyID)
	require.Equal(t, wechat.MerchantFiles{
		MchID:          "1900000009",
		CertSerialNo:   keys.CertSerialNo,
		PrivateKeyFile: filepath.Join(dir, sandbox.MerchantKeyFile),
		PublicKeyID:    keys.PublicKeyID,
		PublicKeyFile:  filepath.Join(dir, sandbox.PlatformPublicKeyFile),
	}, files)

	for name, mode := range map[string]os.FileMode{
		sandbox.MerchantKeyFile: 0o600, sandbox.PlatformKeyFile: 0o600,
		sandbox.PlatformPublicKeyFile: 0o644, sandbox.MerchantPublicKeyFile: 0o644, sandbox.MerchantInfoFile: 0o644,
	} {
		info, err := os.Stat(filepath.Join(dir, name))
		require.NoError(t, err, name)
		require.Equal(t, mode, info.Mode().Perm(), name)
	}
	info, err := os.ReadFile(filepath.Join(dir, sandbox.MerchantInfoFile))
	require.NoError(t, err)
	require.NotContains(t, string(info), "PRIVATE")

	// The client loads the files and its signatures pass the sandbox.
	client, err := wechat.LoadMerchant(files)
	require.NoError(t, err)
	require.True(t, client.IsSandbox())
	sb, err := sandbox.New(sandbox.Config{Merchants: []sandbox.MerchantKeys{keys}})
	require.NoError(t, err)
	require.Equal(t, []string{"1900000009"}, sb.MchIDs())
	b := &bundle{sb: sb}
	b.srv = newServer(t, sb)
	wc, err := wechat.New(wechat.Config{BaseURL: b.srv.URL, BackupURL: wechat.NoBackup}, client)
	require.NoError(t, err)
	defer wc.Close()
	_, _, err = wc.UseBusifavorCoupon(ctx(t), "1900000009", busifavorUse("files", "FILES0001"))
	require.NoError(t, err)

	// A second run reuses the files.
	again, againFiles, err := sandbox.GenerateMerchant(dir, "1900000009")
	require.NoError(t, err)
	require.Equal(t, files, againFiles)
	require.Equal(t, keys.CertSerialNo, again.CertSerialNo)
	require.True(t, keys.MerchantPublicKey.Equal(again.MerchantPublicKey))
	require.True(t, keys.PlatformPrivateKey.Equal(again.PlatformPrivateKey))

	// Another merchant's directory is refused.
	_, _, err = sandbox.GenerateMerchant(dir, "1900000010")
	require.ErrorContains(t, err, "1900000009")

	checkBrokenSets(t, dir, "1900000009")
}

func TestGenerateMerchantRefusesForeignKeys(t *testing.T) {
	// A directory holding someone's real key but no sandbox info file.
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, sandbox.MerchantKeyFile), []byte("-----BEGIN PRIVATE KEY-----\nsecret\n-----END PRIVATE KEY-----\n"), 0o600))
	_, _, err := sandbox.GenerateMerchant(dir, "1900000001")
	require.ErrorContains(t, err, "refusing to overwrite")
	raw, err := os.ReadFile(filepath.Join(dir, sandbox.MerchantKeyFile))
	require.NoError(t, err)
	require.Contains(t, string(raw), "secret", "left untouched")
}

// checkBrokenSets corrupts copies of a generated set: errors name the file,
// never the key material.
func checkBrokenSets(t *testing.T, generated, mchid string) {
	_, clients := merchants(t)
	foreignPub, err := x509.MarshalPKIXPublicKey(clients[1].PublicKey)
	require.NoError(t, err)
	tests := []struct {
		name, file string
		content    []byte
		want       string
	}{
		{"unreadable platform key", sandbox.PlatformKeyFile, []byte("-----BEGIN PRIVATE KEY-----\nc2VjcmV0\n-----END PRIVATE KEY-----\n"), sandbox.PlatformKeyFile},
		{"foreign platform public key", sandbox.PlatformPublicKeyFile, pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: foreignPub}), "does not match"},
		{"broken info", sandbox.MerchantInfoFile, []byte("{"), sandbox.MerchantInfoFile},
		{"missing merchant key", sandbox.MerchantKeyFile, nil, sandbox.MerchantKeyFile},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			require.NoError(t, os.CopyFS(dir, os.DirFS(generated)))
			path := filepath.Join(dir, tt.file)
			if tt.content == nil {
				require.NoError(t, os.Remove(path))
			} else {
				require.NoError(t, os.WriteFile(path, tt.content, 0o600))
			}
			_, _, err := sandbox.GenerateMerchant(dir, mchid)
			require.ErrorContains(t, err, tt.want)
			require.NotContains(t, err.Error(), "c2VjcmV0")
			require.NotContains(t, err.Error(), "BEGIN")
		})
	}
}

func TestNewWithoutMerchants(t *testing.T) {
	sb, err := sandbox.New(sandbox.Config{})
	require.NoError(t, err)
	client, ok := sb.ClientMerchant()
	require.True(t, ok)
	require.Equal(t, sandbox.DefaultMchID, client.MchID)
	require.True(t, client.IsSandbox())
	srv := newServer(t, sb)
	wc, err := wechat.New(wechat.Config{BaseURL: srv.URL, BackupURL: wechat.NoBackup}, client)
	require.NoError(t, err)
	defer wc.Close()
	_, _, err = wc.UseProductCoupon(ctx(t), sandbox.DefaultMchID, productUse("default", "DEFAULT_01"))
	require.NoError(t, err)

	keys, _ := merchants(t)
	configured, err := sandbox.New(sandbox.Config{Merchants: keys})
	require.NoError(t, err)
	_, ok = configured.ClientMerchant()
	require.False(t, ok)
}

func TestNewRejectsBadConfig(t *testing.T) {
	keys, _ := merchants(t)
	_, err := sandbox.New(sandbox.Config{Merchants: []sandbox.MerchantKeys{keys[0], keys[0]}})
	require.ErrorContains(t, err, "twice")
	_, err = sandbox.New(sandbox.Config{Merchants: []sandbox.MerchantKeys{{MchID: "1"}}})
	require.ErrorContains(t, err, "public key")
	_, err = sandbox.New(sandbox.Config{Merchants: keys, Limits: map[marketing.Operation]int{"nope": 1}})
	require.ErrorContains(t, err, "nope")
}
