package wechat

import (
	"crypto/x509"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// Accounts whose key files hold the same key share one parsed key; a
// different key is parsed on its own, and each merchant keeps its own
// serial and key id.
func TestMerchantLoaderParsesEachKeyOnce(t *testing.T) {
	dir := t.TempDir()
	k := sharedTestKeys()
	der, err := x509.MarshalPKCS8PrivateKey(k.merchant)
	require.NoError(t, err)
	pubDER, err := x509.MarshalPKIXPublicKey(&k.platform.PublicKey)
	require.NoError(t, err)
	otherDER, err := x509.MarshalPKCS8PrivateKey(k.platform)
	require.NoError(t, err)
	files := func(id string, keyDER []byte) MerchantFiles {
		d := filepath.Join(dir, id)
		require.NoError(t, os.MkdirAll(d, 0o700))
		writePEM(t, filepath.Join(d, "key.pem"), "PRIVATE KEY", keyDER)
		writePEM(t, filepath.Join(d, "pub.pem"), "PUBLIC KEY", pubDER)
		return MerchantFiles{MchID: id, CertSerialNo: "SERIAL" + id, PrivateKeyFile: filepath.Join(d, "key.pem"),
			PublicKeyID: testPublicKeyID, PublicKeyFile: filepath.Join(d, "pub.pem")}
	}
	var l MerchantLoader
	a, err := l.Load(files("1900000001", der))
	require.NoError(t, err)
	b, err := l.Load(files("1900000002", der))
	require.NoError(t, err)
	c, err := l.Load(files("1900000003", otherDER))
	require.NoError(t, err)

	require.Same(t, a.PrivateKey, b.PrivateKey, "same content, one parsed key")
	require.Same(t, a.PublicKey, c.PublicKey)
	require.NotSame(t, a.PrivateKey, c.PrivateKey)
	require.True(t, c.PrivateKey.Equal(k.platform))
	require.Equal(t, "SERIAL1900000002", b.CertSerialNo)

	// A fresh LoadMerchant shares nothing with the loader.
	d, err := LoadMerchant(files("1900000004", der))
	require.NoError(t, err)
	require.NotSame(t, a.PrivateKey, d.PrivateKey)
	require.True(t, d.PrivateKey.Equal(a.PrivateKey))
}
