package node_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nkeys"
	"github.com/stretchr/testify/require"
	"go.uber.org/zap/zaptest"

	"github.com/couponq/couponq/internal/config"
	"github.com/couponq/couponq/internal/node"
)

// TestConnectWithNKeyOverMutualTLS connects to a real server that requires
// an nkey user and a client certificate signed by its CA.
func TestConnectWithNKeyOverMutualTLS(t *testing.T) {
	dir := t.TempDir()
	ca, caKey := newCA(t)
	write := func(name string, typ string, der []byte) string {
		p := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(p, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600))
		return p
	}
	caFile := write("ca.pem", "CERTIFICATE", ca.Raw)
	srvCert, srvKey := newLeaf(t, ca, caKey, false)
	cliCert, cliKey := newLeaf(t, ca, caKey, true)
	cliCertFile, cliKeyFile := write("client.pem", "CERTIFICATE", cliCert), write("client-key.pem", "EC PRIVATE KEY", cliKey)

	user, err := nkeys.CreateUser()
	require.NoError(t, err)
	pub, err := user.PublicKey()
	require.NoError(t, err)
	seed, err := user.Seed()
	require.NoError(t, err)
	seedFile := filepath.Join(dir, "user.nk")
	require.NoError(t, os.WriteFile(seedFile, seed, 0o600))

	pool := x509.NewCertPool()
	pool.AddCert(ca)
	keyPair, err := tls.X509KeyPair(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srvCert}),
		pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: srvKey}))
	require.NoError(t, err)
	opts := &server.Options{Host: "127.0.0.1", Port: -1, NoSigs: true, NoLog: true,
		Nkeys:     []*server.NkeyUser{{Nkey: pub}},
		TLSConfig: &tls.Config{Certificates: []tls.Certificate{keyPair}, ClientCAs: pool, ClientAuth: tls.RequireAndVerifyClientCert, MinVersion: tls.VersionTLS12},
		TLS:       true, TLSVerify: true, TLSTimeout: 2}
	srv, err := server.NewServer(opts)
	require.NoError(t, err)
	go srv.Start()
	t.Cleanup(srv.Shutdown)
	require.True(t, srv.ReadyForConnections(10*time.Second))

	cfg := config.NATS{NKeyFile: seedFile, TLS: config.NATSTLS{CAFile: caFile, CertFile: cliCertFile, KeyFile: cliKeyFile}}
	nc, err := node.ConnectNATS(cfg, "tls://"+srv.Addr().String(), "test", zaptest.NewLogger(t))
	require.NoError(t, err)
	require.True(t, nc.IsConnected())
	nc.Close()

	cfg.NKeyFile = "" // the server refuses a client without its nkey
	_, err = node.ConnectNATS(cfg, "tls://"+srv.Addr().String(), "test", zaptest.NewLogger(t))
	require.Error(t, err)
}

func newCA(t *testing.T) (*x509.Certificate, *ecdsa.PrivateKey) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "couponq test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IsCA: true,
		KeyUsage: x509.KeyUsageCertSign, BasicConstraintsValid: true}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(t, err)
	ca, err := x509.ParseCertificate(der)
	require.NoError(t, err)
	return ca, key
}

// newLeaf returns a DER certificate for 127.0.0.1 (or a client) and its key.
func newLeaf(t *testing.T, ca *x509.Certificate, caKey *ecdsa.PrivateKey, client bool) ([]byte, []byte) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	usage := x509.ExtKeyUsageServerAuth
	if client {
		usage = x509.ExtKeyUsageClientAuth
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: "couponq"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{usage},
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
	require.NoError(t, err)
	kb, err := x509.MarshalECPrivateKey(key)
	require.NoError(t, err)
	return der, kb
}
