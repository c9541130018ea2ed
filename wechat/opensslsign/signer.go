//go:build openssl && cgo

package opensslsign

/*
#cgo LDFLAGS: -lcrypto
#include <stdlib.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/bio.h>

static EVP_PKEY *load_key(const char *pem, int n) {
	BIO *bio = BIO_new_mem_buf(pem, n);
	if (bio == NULL) return NULL;
	EVP_PKEY *k = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
	BIO_free(bio);
	return k;
}

// sign_sha256 writes the PKCS #1 v1.5 SHA-256 signature of msg into sig
// (capacity *siglen) and returns 1 on success.
static int sign_sha256(EVP_PKEY *k, const unsigned char *msg, size_t n, unsigned char *sig, size_t *siglen) {
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	if (ctx == NULL) return 0;
	int ok = EVP_DigestSignInit(ctx, NULL, EVP_sha256(), NULL, k) == 1 &&
		EVP_DigestSign(ctx, sig, siglen, msg, n) == 1;
	EVP_MD_CTX_free(ctx);
	return ok;
}
*/
import "C"

import (
	"encoding/base64"
	"errors"
	"runtime"
	"unsafe"
)

// Signer signs with one RSA private key held by OpenSSL. It is safe for
// concurrent use (each signature has its own digest context).
type Signer struct {
	key  *C.EVP_PKEY
	size int
}

// New loads a PEM private key (PKCS #8 or PKCS #1), as wechatpay-go's
// utils.LoadPrivateKey accepts it. Call Close when done.
func New(pem []byte) (*Signer, error) {
	if len(pem) == 0 {
		return nil, errors.New("opensslsign: empty key")
	}
	cpem := C.CBytes(pem)
	defer C.free(cpem)
	k := C.load_key((*C.char)(cpem), C.int(len(pem)))
	if k == nil {
		return nil, errors.New("opensslsign: not a PEM private key OpenSSL can read")
	}
	return &Signer{key: k, size: int(C.EVP_PKEY_get_size(k))}, nil
}

// Close frees the key.
func (s *Signer) Close() {
	if s.key != nil {
		C.EVP_PKEY_free(s.key)
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
	sig := make([]byte, s.size)
	n := C.size_t(len(sig))
	msg := unsafe.Pointer(unsafe.StringData(message))
	ok := C.sign_sha256(s.key, (*C.uchar)(msg), C.size_t(len(message)), (*C.uchar)(unsafe.Pointer(&sig[0])), &n)
	runtime.KeepAlive(message)
	if ok != 1 {
		return "", errors.New("opensslsign: signing failed")
	}
	return base64.StdEncoding.EncodeToString(sig[:n]), nil
}
