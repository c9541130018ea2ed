package sandbox

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/wechatpay-apiv3/wechatpay-go/utils"

	"github.com/couponq/couponq/wechat"
)

// Names of the files GenerateMerchant writes into its directory.
const (
	// MerchantKeyFile is the merchant's API private key (PKCS#8 PEM, mode 0600):
	// what the client signs requests with.
	MerchantKeyFile = "apiclient_key.pem"
	// PlatformPublicKeyFile is the WeChat Pay public key (PKIX PEM) the client
	// verifies answers with.
	PlatformPublicKeyFile = "wxp_pub.pem"
	// MerchantPublicKeyFile is the merchant's public key, which the sandbox
	// verifies requests with.
	MerchantPublicKeyFile = "apiclient_pub.pem"
	// PlatformKeyFile is the sandbox's own signing key (PKCS#8 PEM, mode 0600).
	PlatformKeyFile = "sandbox_platform_key.pem"
	// MerchantInfoFile holds the merchant number, certificate serial and
	// public key id (JSON, no key material).
	MerchantInfoFile = "sandbox_merchant.json"
)

// merchantInfo is the JSON content of MerchantInfoFile.
type merchantInfo struct {
	MchID        string `json:"mchid"`
	CertSerialNo string `json:"cert_serial_no"`
	PublicKeyID  string `json:"wechatpay_public_key_id"`
}

// GenerateMerchant makes fresh RSA-2048 key pairs for mchid and writes them
// into dir (created with mode 0700 if needed): MerchantKeyFile and
// PlatformPublicKeyFile for the client, MerchantPublicKeyFile, PlatformKeyFile
// and MerchantInfoFile for the sandbox. It returns the MerchantKeys for the
// sandbox and the wechat.MerchantFiles for the client configuration.
//
// When dir already holds a complete, consistent set for mchid, it is reused
// unchanged. It never overwrites key files it did not write: a directory with
// some of the files but no MerchantInfoFile, or with files that do not load or
// do not match each other, is an error that names the file. Errors never
// contain key material.
func GenerateMerchant(dir, mchid string) (MerchantKeys, wechat.MerchantFiles, error) {
	return GenerateMerchantWith(dir, mchid, nil)
}

// KeyPairs are the two RSA key pairs of a sandbox merchant: the merchant's
// API key (the client signs with it) and the sandbox's platform key (it
// signs answers with it).
type KeyPairs struct {
	Merchant, Platform *rsa.PrivateKey
}

// NewKeyPairs generates fresh RSA-2048 key pairs (about 0.25 s of CPU).
func NewKeyPairs() (*KeyPairs, error) {
	merchantKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, fmt.Errorf("sandbox: generate merchant key: %w", err)
	}
	platformKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, fmt.Errorf("sandbox: generate platform key: %w", err)
	}
	return &KeyPairs{Merchant: merchantKey, Platform: platformKey}, nil
}

// GenerateMerchantWith is GenerateMerchant with the key pairs to write when
// dir holds none: pairs nil generates fresh ones; the same pairs for many
// merchants (each with its own serial and public key id) make a sandbox of
// thousands of merchants start in seconds instead of minutes, for load tests.
func GenerateMerchantWith(dir, mchid string, pairs *KeyPairs) (MerchantKeys, wechat.MerchantFiles, error) {
	if mchid == "" {
		return MerchantKeys{}, wechat.MerchantFiles{}, errors.New("sandbox: generate merchant: mchid is empty")
	}
	infoPath := filepath.Join(dir, MerchantInfoFile)
	switch _, err := os.Stat(infoPath); {
	case err == nil:
		return loadMerchant(dir, mchid)
	case !errors.Is(err, fs.ErrNotExist):
		return MerchantKeys{}, wechat.MerchantFiles{}, fmt.Errorf("sandbox: %s: %w", infoPath, err)
	}
	for _, name := range []string{MerchantKeyFile, PlatformPublicKeyFile, MerchantPublicKeyFile, PlatformKeyFile} {
		p := filepath.Join(dir, name)
		if _, err := os.Stat(p); err == nil {
			return MerchantKeys{}, wechat.MerchantFiles{}, fmt.Errorf("sandbox: %s exists but %s does not; refusing to overwrite keys the sandbox did not generate", p, MerchantInfoFile)
		}
	}
	return writeMerchant(dir, mchid, pairs)
}

// files returns the client's view of the key files in dir.
func files(dir string, info merchantInfo) wechat.MerchantFiles {
	return wechat.MerchantFiles{
		MchID:          info.MchID,
		CertSerialNo:   info.CertSerialNo,
		PrivateKeyFile: filepath.Join(dir, MerchantKeyFile),
		PublicKeyID:    info.PublicKeyID,
		PublicKeyFile:  filepath.Join(dir, PlatformPublicKeyFile),
	}
}

// writeMerchant generates the keys and writes all files, the info file last so
// that an interrupted run is detected on the next start.
func writeMerchant(dir, mchid string, pairs *KeyPairs) (MerchantKeys, wechat.MerchantFiles, error) {
	fail := func(err error) (MerchantKeys, wechat.MerchantFiles, error) {
		return MerchantKeys{}, wechat.MerchantFiles{}, fmt.Errorf("sandbox: generate merchant %s in %s: %w", mchid, dir, err)
	}
	if pairs == nil {
		var err error
		if pairs, err = NewKeyPairs(); err != nil {
			return fail(err)
		}
	}
	keys, client, err := merchantFrom(mchid, pairs)
	if err != nil {
		return fail(err)
	}
	info := merchantInfo{MchID: mchid, CertSerialNo: keys.CertSerialNo, PublicKeyID: keys.PublicKeyID}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fail(err)
	}
	writes := []struct {
		name   string
		encode func() ([]byte, error)
		mode   os.FileMode
	}{
		{MerchantKeyFile, func() ([]byte, error) { return privatePEM(client.PrivateKey) }, 0o600},
		{PlatformKeyFile, func() ([]byte, error) { return privatePEM(keys.PlatformPrivateKey) }, 0o600},
		{MerchantPublicKeyFile, func() ([]byte, error) { return publicPEM(keys.MerchantPublicKey) }, 0o644},
		{PlatformPublicKeyFile, func() ([]byte, error) { return publicPEM(client.PublicKey) }, 0o644},
		{MerchantInfoFile, func() ([]byte, error) { return json.MarshalIndent(info, "", "  ") }, 0o644},
	}
	for _, w := range writes {
		data, err := w.encode()
		if err != nil {
			return fail(fmt.Errorf("encode %s: %w", w.name, err))
		}
		if err := writeFileAtomic(filepath.Join(dir, w.name), data, w.mode); err != nil {
			return fail(err)
		}
	}
	return keys, files(dir, info), nil
}

// loadMerchant reads a set written by writeMerchant and checks that it is
// complete and consistent.
func loadMerchant(dir, mchid string) (MerchantKeys, wechat.MerchantFiles, error) {
	fail := func(name string, err error) (MerchantKeys, wechat.MerchantFiles, error) {
		return MerchantKeys{}, wechat.MerchantFiles{}, fmt.Errorf("sandbox: %s: %w", filepath.Join(dir, name), err)
	}
	raw, err := os.ReadFile(filepath.Join(dir, MerchantInfoFile))
	if err != nil {
		return fail(MerchantInfoFile, err)
	}
	var info merchantInfo
	if err := json.Unmarshal(raw, &info); err != nil {
		return fail(MerchantInfoFile, fmt.Errorf("decode: %w", err))
	}
	if info.MchID != mchid {
		return fail(MerchantInfoFile, fmt.Errorf("holds keys of merchant %q, not %q", info.MchID, mchid))
	}
	if info.CertSerialNo == "" || info.PublicKeyID == "" {
		return fail(MerchantInfoFile, errors.New("cert_serial_no or wechatpay_public_key_id is empty"))
	}
	// The wechatpay-go loaders quote the PEM text in some errors, so only
	// their failure, never their message, is reported.
	merchantKey, err := utils.LoadPrivateKeyWithPath(filepath.Join(dir, MerchantKeyFile))
	if err != nil {
		return fail(MerchantKeyFile, errors.New("not a readable PKCS#8 RSA private key"))
	}
	platformKey, err := utils.LoadPrivateKeyWithPath(filepath.Join(dir, PlatformKeyFile))
	if err != nil {
		return fail(PlatformKeyFile, errors.New("not a readable PKCS#8 RSA private key"))
	}
	merchantPub, err := utils.LoadPublicKeyWithPath(filepath.Join(dir, MerchantPublicKeyFile))
	if err != nil {
		return fail(MerchantPublicKeyFile, errors.New("not a readable PKIX RSA public key"))
	}
	platformPub, err := utils.LoadPublicKeyWithPath(filepath.Join(dir, PlatformPublicKeyFile))
	if err != nil {
		return fail(PlatformPublicKeyFile, errors.New("not a readable PKIX RSA public key"))
	}
	if !merchantKey.PublicKey.Equal(merchantPub) {
		return fail(MerchantPublicKeyFile, fmt.Errorf("does not match %s", MerchantKeyFile))
	}
	if !platformKey.PublicKey.Equal(platformPub) {
		return fail(PlatformPublicKeyFile, fmt.Errorf("does not match %s", PlatformKeyFile))
	}
	keys := MerchantKeys{
		MchID:              mchid,
		CertSerialNo:       info.CertSerialNo,
		MerchantPublicKey:  merchantPub,
		PublicKeyID:        info.PublicKeyID,
		PlatformPrivateKey: platformKey,
	}
	return keys, files(dir, info), nil
}

func privatePEM(k *rsa.PrivateKey) ([]byte, error) {
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		return nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), nil
}

func publicPEM(k *rsa.PublicKey) ([]byte, error) {
	der, err := x509.MarshalPKIXPublicKey(k)
	if err != nil {
		return nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}), nil
}

// writeFileAtomic writes data to a temporary file in the same directory and
// renames it into place, so a reader never sees half a key.
func writeFileAtomic(path string, data []byte, mode os.FileMode) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // no-op after a successful rename
	if err := tmp.Chmod(mode); err != nil {
		tmp.Close()
		return fmt.Errorf("%s: %w", path, err)
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("%s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

func randomHex(n int) (string, error) {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("random: %w", err)
	}
	return hex.EncodeToString(b), nil
}
