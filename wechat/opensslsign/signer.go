//go:build openssl && cgo

package opensslsign

/*
#cgo LDFLAGS: -lcrypto
#include <stdlib.h>
#include <string.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

// load_key reads a DER PKCS #8 private key. On failure it clears this
// thread's OpenSSL error queue, so that nothing is left behind for a later
// call on the same thread.
static EVP_PKEY *load_key(const unsigned char *der, long n) {
	const unsigned char *p = der;
	EVP_PKEY *k = d2i_AutoPrivateKey(NULL, &p, n);
	if (k == NULL) ERR_clear_error();
	return k;
}

// sign_sha256 writes the PKCS #1 v1.5 SHA-256 signature of msg into sig
// (capacity *siglen) and returns 1 on success. OpenSSL checks a CRT
// result against the public key before returning it, as Go's crypto/rsa
// does (a fault cannot leak the key).
static int sign_sha256(EVP_PKEY *k, const unsigned char *msg, size_t n, unsigned char *sig, size_t *siglen) {
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	if (ctx == NULL) { ERR_clear_error(); return 0; }
	int ok = EVP_DigestSignInit(ctx, NULL, EVP_sha256(), NULL, k) == 1 &&
		EVP_DigestSign(ctx, sig, siglen, msg, n) == 1;
	EVP_MD_CTX_free(ctx);
	if (!ok) ERR_clear_error();
	return ok;
}

static void free_key(EVP_PKEY *k) { EVP_PKEY_free(k); }

static const char *version(void) { return OpenSSL_version(OPENSSL_VERSION); }
*/
import "C"

import (
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"runtime"
	"unsafe"
)

// Version is the libcrypto the process runs with, for example
// "OpenSSL 3.0.19 1 Jul 2025" (logged by the worker at start).
func Version() string { return C.GoString(C.version()) }

// Signer signs with one RSA private key held by OpenSSL. It is safe for
// concurrent use (each signature has its own digest context). Its key is
// freed by Close, or when the Signer becomes unreachable.
type Signer struct {
	key     *C.EVP_PKEY
	size    int
	cleanup runtime.Cleanup
}

// FromKey copies key into OpenSSL. The DER copy made on the way is zeroed
// before FromKey returns.
func FromKey(key *rsa.PrivateKey) (*Signer, error) {
	if key == nil {
		return nil, errors.New("opensslsign: no key")
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, fmt.Errorf("opensslsign: encode key: %w", err)
	}
	s, err := fromDER(der)
	clear(der)
	return s, err
}

// fromDER loads a DER private key (PKCS #8, or PKCS #1 RSA).
func fromDER(der []byte) (*Signer, error) {
	if len(der) == 0 {
		return nil, errors.New("opensslsign: empty key")
	}
	cder := C.CBytes(der)
	k := C.load_key((*C.uchar)(cder), C.long(len(der)))
	C.memset(cder, 0, C.size_t(len(der)))
	C.free(cder)
	if k == nil {
		return nil, errors.New("opensslsign: not a private key OpenSSL can read")
	}
	s := &Signer{key: k, size: int(C.EVP_PKEY_get_size(k))}
	s.cleanup = runtime.AddCleanup(s, func(k *C.EVP_PKEY) { C.free_key(k) }, k)
	return s, nil
}

// Close frees the key now instead of when the Signer is collected. The
// Signer must not be used afterwards.
func (s *Signer) Close() {
	if s.key != nil {
		s.cleanup.Stop()
		C.free_key(s.key)
		s.key = nil
	}
}

// Sign returns the base64 SHA256-RSA signature of message, the same text
// utils.SignSHA256WithRSA returns for the same key (PKCS #1 v1.5 is
// deterministic).
func (s *Signer) Sign(message string) (string, error) {
	if len(message) == 0 {
		return "", errors.New("opensslsign: empty message")
	}
	if s.key == nil {
		return "", errors.New("opensslsign: signer closed")
	}
	sig := make([]byte, s.size)
	n := C.size_t(len(sig))
	msg := unsafe.Pointer(unsafe.StringData(message))
	ok := C.sign_sha256(s.key, (*C.uchar)(msg), C.size_t(len(message)), (*C.uchar)(unsafe.Pointer(&sig[0])), &n)
	runtime.KeepAlive(message)
	runtime.KeepAlive(s)
	if ok != 1 {
		return "", errors.New("opensslsign: signing failed")
	}
	return base64.StdEncoding.EncodeToString(sig[:n]), nil
}
