package wechat

import (
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/wechatpay-apiv3/wechatpay-go/core/auth/signers"
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
	m := Merchant{MchID: f.MchID, CertSerialNo: f.CertSerialNo, PublicKeyID: f.PublicKeyID}
	var errs []error
	if f.PrivateKeyFile == "" {
		errs = append(errs, errors.New("private_key_file is empty"))
	} else if key, err := utils.LoadPrivateKeyWithPath(f.PrivateKeyFile); err != nil {
		errs = append(errs, fmt.Errorf("private key file %s: %w", f.PrivateKeyFile, err))
	} else {
		m.PrivateKey = key
	}
	if f.PublicKeyFile == "" {
		errs = append(errs, errors.New("wechatpay_public_key_file is empty"))
	} else if key, err := utils.LoadPublicKeyWithPath(f.PublicKeyFile); err != nil {
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

// account is a configured merchant with its SDK signer and verifier.
type account struct {
	Merchant
	signer   *signers.SHA256WithRSASigner
	verifier *verifiers.SHA256WithRSAPubkeyVerifier
}

func newAccount(m Merchant) *account {
	return &account{
		Merchant: m,
		signer: &signers.SHA256WithRSASigner{
			MchID:               m.MchID,
			CertificateSerialNo: m.CertSerialNo,
			PrivateKey:          m.PrivateKey,
		},
		verifier: verifiers.NewSHA256WithRSAPubkeyVerifier(m.PublicKeyID, *m.PublicKey),
	}
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
