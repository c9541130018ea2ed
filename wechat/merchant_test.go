package wechat

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func writePEM(t *testing.T, path, typ string, der []byte) {
	t.Helper()
	require.NoError(t, os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600))
}

func TestLoadMerchant(t *testing.T) {
	dir := t.TempDir()
	k := sharedTestKeys()
	der, err := x509.MarshalPKCS8PrivateKey(k.merchant)
	require.NoError(t, err)
	keyFile := filepath.Join(dir, "apiclient_key.pem")
	writePEM(t, keyFile, "PRIVATE KEY", der)
	pubDER, err := x509.MarshalPKIXPublicKey(&k.platform.PublicKey)
	require.NoError(t, err)
	pubFile := filepath.Join(dir, "wxp_pub.pem")
	writePEM(t, pubFile, "PUBLIC KEY", pubDER)

	files := MerchantFiles{MchID: "1900000001", CertSerialNo: "SERIAL1900000001", PrivateKeyFile: keyFile,
		PublicKeyID: testPublicKeyID, PublicKeyFile: pubFile}
	m, err := LoadMerchant(files)
	require.NoError(t, err)
	assert.True(t, m.PrivateKey.Equal(k.merchant))
	assert.True(t, m.PublicKey.Equal(&k.platform.PublicKey))
	assert.False(t, m.IsSandbox())

	// A client built from the files talks to the fake.
	f := newFake(t, ok(`{}`))
	c := newTestClient(t, Config{BaseURL: f.URL(), BackupURL: NoBackup}, m)
	_, err = c.Do(t.Context(), "1900000001", docStockGet())
	require.NoError(t, err)

	pkcs1 := filepath.Join(dir, "pkcs1.pem")
	writePEM(t, pkcs1, "RSA PRIVATE KEY", x509.MarshalPKCS1PrivateKey(k.merchant))
	small, err := rsa.GenerateKey(rand.Reader, 1024)
	require.NoError(t, err)
	smallDER, err := x509.MarshalPKCS8PrivateKey(small)
	require.NoError(t, err)
	smallFile := filepath.Join(dir, "small.pem")
	writePEM(t, smallFile, "PRIVATE KEY", smallDER)

	for _, tc := range []struct {
		name string
		edit func(*MerchantFiles)
		want string
	}{
		{"missing key file", func(f *MerchantFiles) { f.PrivateKeyFile = filepath.Join(dir, "nope.pem") }, "private key file " + filepath.Join(dir, "nope.pem")},
		{"empty key path", func(f *MerchantFiles) { f.PrivateKeyFile = "" }, "private_key_file is empty"},
		{"public key as private", func(f *MerchantFiles) { f.PrivateKeyFile = pubFile }, "private key file " + pubFile},
		{"PKCS#1 key", func(f *MerchantFiles) { f.PrivateKeyFile = pkcs1 }, "private key file " + pkcs1},
		{"private key as public", func(f *MerchantFiles) { f.PublicKeyFile = keyFile }, "WeChat Pay public key file " + keyFile + ": not a PEM RSA public key"},
		{"empty public path", func(f *MerchantFiles) { f.PublicKeyFile = "" }, "wechatpay_public_key_file is empty"},
		{"no serial", func(f *MerchantFiles) { f.CertSerialNo = "" }, "cert_serial_no is empty"},
		{"no key id", func(f *MerchantFiles) { f.PublicKeyID = "" }, "wechatpay_public_key_id is empty"},
		{"1024-bit key", func(f *MerchantFiles) { f.PrivateKeyFile = smallFile }, "private key has 1024 bits, want at least 2048"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := files
			tc.edit(&f)
			_, err := LoadMerchant(f)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
			assert.Contains(t, err.Error(), `merchant "1900000001"`)
			assert.NotContains(t, err.Error(), "BEGIN", "no key material in errors")
			assert.NotContains(t, err.Error(), "MII")
		})
	}
}

func TestMerchantNeverPrintsKeys(t *testing.T) {
	m := testMerchant("1900000001")
	d := m.PrivateKey.D.String()[:12]
	for _, s := range []string{fmt.Sprint(m), fmt.Sprintf("%+v", m), fmt.Sprintf("%#v", m), fmt.Sprintf("%v", &m)} {
		assert.NotContains(t, s, d)
		assert.Contains(t, s, "1900000001")
	}
	js, err := json.Marshal(m)
	require.NoError(t, err)
	assert.JSONEq(t, `{"mchid":"1900000001","cert_serial_no":"SERIAL1900000001","wechatpay_public_key_id":"PUB_KEY_ID_TEST0001"}`, string(js))
	assert.False(t, strings.Contains(string(js), d))
	m.PublicKeyID = "PUB_KEY_ID_SANDBOX_1"
	assert.True(t, m.IsSandbox())
}
