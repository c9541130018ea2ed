package wechat

import (
	"crypto/rsa"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/wechatpay-apiv3/wechatpay-go/core/auth"
	"github.com/wechatpay-apiv3/wechatpay-go/core/auth/verifiers"
	"github.com/wechatpay-apiv3/wechatpay-go/utils"
)

// Merchant is one configured merchant account with its keys loaded.
type Merchant struct {
	MchID        string          // merchant number (商户号)
	CertSerialNo string          // serial of the merchant API certificate, sent in Authorization
	PrivateKey   *rsa.PrivateKey // merchant API private key (apiclient_key.pem); signs requests
	PublicKeyID  string          // WeChat Pay public key id (PUB_KEY_ID_...), sent as Wechatpay-Serial
	PublicKey    *rsa.PublicKey  // WeChat Pay public key (wxp_pub.pem); verifies answers
}

// SandboxMarker starts every certificate serial the sandbox generates, and
// SandboxKeyIDPrefix every WeChat Pay public key id it generates, so that
// sandbox keys and production keys can never be mixed up.
const (
	SandboxMarker      = "SANDBOX"
	SandboxKeyIDPrefix = "PUB_KEY_ID_" + SandboxMarker
)

// IsSandboxKey reports whether a certificate serial or public key id was
// made by the sandbox.
func IsSandboxKey(certSerialNo, publicKeyID string) bool {
	return strings.HasPrefix(certSerialNo, SandboxMarker) || strings.HasPrefix(publicKeyID, SandboxKeyIDPrefix)
}

// IsSandbox reports whether the merchant's keys were made by the sandbox
// (IsSandboxKey), so production configuration can refuse them.
func (m Merchant) IsSandbox() bool { return IsSandboxKey(m.CertSerialNo, m.PublicKeyID) }

// check reports every missing or unusable part, never printing key material.
func (m Merchant) check() error {
	var errs []error
	if m.MchID == "" {
		errs = append(errs, errors.New("mchid is empty"))
	}
	if strings.TrimSpace(m.CertSerialNo) == "" {
		errs = append(errs, errors.New("cert_serial_no is empty"))
	}
	if m.PrivateKey == nil {
		errs = append(errs, errors.New("private key is missing"))
	} else if m.PrivateKey.N.BitLen() < 2048 {
		errs = append(errs, fmt.Errorf("private key has %d bits, want at least 2048", m.PrivateKey.N.BitLen()))
	}
	if strings.TrimSpace(m.PublicKeyID) == "" {
		errs = append(errs, errors.New("wechatpay_public_key_id is empty"))
	}
	if m.PublicKey == nil {
		errs = append(errs, errors.New("WeChat Pay public key is missing"))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("merchant %q: %w", m.MchID, err)
	}
	return nil
}

// MerchantFiles is the configuration-file form of a merchant: the key files
// are PEM, the private key PKCS#8 ("BEGIN PRIVATE KEY", as WeChat Pay issues
// apiclient_key.pem), the public key PKIX ("BEGIN PUBLIC KEY").
type MerchantFiles struct {
	MchID          string
	CertSerialNo   string
	PrivateKeyFile string
	PublicKeyID    string
	PublicKeyFile  string
}

// LoadMerchant reads the key files of f with wechatpay-go's utils and checks
// the result. Errors name the file and the merchant but never contain key
// material.
func LoadMerchant(f MerchantFiles) (Merchant, error) {
	return new(MerchantLoader).Load(f)
}

// MerchantLoader loads merchants like LoadMerchant, parsing each distinct
// key (by file content) once: a service provider that signs for thousands
// of accounts with one key holds one parsed key, not thousands (4.5 KB
// each, with Go's precomputed values). A parsed key is only read after
// loading, so sharing it between accounts is safe. The zero value is
// ready; it is not safe for concurrent use.
type MerchantLoader struct {
	private map[[sha256.Size]byte]*rsa.PrivateKey
	public  map[[sha256.Size]byte]*rsa.PublicKey
}

// Load is LoadMerchant with this loader's parsed keys shared.
func (l *MerchantLoader) Load(f MerchantFiles) (Merchant, error) {
	m := Merchant{MchID: f.MchID, CertSerialNo: f.CertSerialNo, PublicKeyID: f.PublicKeyID}
	var errs []error
	if f.PrivateKeyFile == "" {
		errs = append(errs, errors.New("private_key_file is empty"))
	} else if key, err := l.privateKey(f.PrivateKeyFile); err != nil {
		errs = append(errs, fmt.Errorf("private key file %s: %w", f.PrivateKeyFile, err))
	} else {
		m.PrivateKey = key
	}
	if f.PublicKeyFile == "" {
		errs = append(errs, errors.New("wechatpay_public_key_file is empty"))
	} else if key, err := l.publicKey(f.PublicKeyFile); err != nil {
		// utils' error for a non-RSA key quotes the PEM; a public key is not
		// secret, but keep errors short and uniform.
		errs = append(errs, fmt.Errorf("WeChat Pay public key file %s: not a PEM RSA public key", f.PublicKeyFile))
	} else {
		m.PublicKey = key
	}
	if err := errors.Join(errs...); err != nil {
		return Merchant{}, fmt.Errorf("wechat: merchant %q: %w", f.MchID, err)
	}
	if err := m.check(); err != nil {
		return Merchant{}, fmt.Errorf("wechat: %w", err)
	}
	return m, nil
}

// privateKey parses the private key in path with wechatpay-go's utils, or
// returns the one already parsed from the same content.
func (l *MerchantLoader) privateKey(path string) (*rsa.PrivateKey, error) {
	return parseOnce(&l.private, path, "private", utils.LoadPrivateKey)
}

// publicKey is privateKey for WeChat Pay's public key.
func (l *MerchantLoader) publicKey(path string) (*rsa.PublicKey, error) {
	return parseOnce(&l.public, path, "public", utils.LoadPublicKey)
}

// parseOnce reads path and parses its content with parse, unless cache
// already holds a key parsed from the same content.
func parseOnce[K any](cache *map[[sha256.Size]byte]K, path, what string, parse func(string) (K, error)) (K, error) {
	var zero K
	b, err := os.ReadFile(path)
	if err != nil {
		return zero, fmt.Errorf("read %s pem file: %w", what, err)
	}
	sum := sha256.Sum256(b)
	if k, ok := (*cache)[sum]; ok {
		return k, nil
	}
	k, err := parse(string(b))
	if err != nil {
		return zero, err
	}
	if *cache == nil {
		*cache = map[[sha256.Size]byte]K{}
	}
	(*cache)[sum] = k
	return k, nil
}

// account is a configured merchant with its request signer (the SDK's, or
// OpenSSL's in a build with the tag "openssl": SignerBackend) and the
// SDK's verifier.
type account struct {
	Merchant
	signer   auth.Signer
	scheme   string // the Authorization scheme, "WECHATPAY2-" + signer.Algorithm()
	verifier *verifiers.SHA256WithRSAPubkeyVerifier
}

func newAccount(m Merchant) (*account, error) {
	signer, err := newRequestSigner(m)
	if err != nil {
		return nil, fmt.Errorf("merchant %s: %w", m.MchID, err)
	}
	return &account{
		Merchant: m,
		signer:   signer,
		scheme:   "WECHATPAY2-" + signer.Algorithm(),
		verifier: verifiers.NewSHA256WithRSAPubkeyVerifier(m.PublicKeyID, *m.PublicKey),
	}, nil
}

// String describes the merchant without key material, so that formatting a
// Merchant with %v or %+v can never leak the private key.
func (m Merchant) String() string {
	return fmt.Sprintf("Merchant{MchID:%s CertSerialNo:%s PublicKeyID:%s}", m.MchID, m.CertSerialNo, m.PublicKeyID)
}

// GoString is String, for %#v.
func (m Merchant) GoString() string { return m.String() }

// MarshalJSON encodes the merchant without key material (for structured
// logs that reflect values into JSON).
func (m Merchant) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		MchID        string `json:"mchid"`
		CertSerialNo string `json:"cert_serial_no"`
		PublicKeyID  string `json:"wechatpay_public_key_id"`
	}{m.MchID, m.CertSerialNo, m.PublicKeyID})
}
