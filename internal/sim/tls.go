package sim

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"strings"
	"time"

	"github.com/respondhq/respond/internal/sim/simapi"
)

// selfSignedCert returns a TLS certificate for localhost, 127.0.0.1 and ::1
// (and the IP addresses among hosts), valid for a week from now, and its
// PEM. The certificate is its own CA, so clients trust it by adding the
// PEM as a root (SSL_CERT_FILE, or an x509.CertPool).
func selfSignedCert(now time.Time, hosts ...string) (tls.Certificate, []byte, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: "respond simulator", Organization: []string{"respond"}},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(7 * 24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		DNSNames:              []string{"localhost"},
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
	}
	for _, h := range hosts {
		if ip := net.ParseIP(h); ip != nil && !ip.IsLoopback() && !ip.IsUnspecified() {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	keyPEM := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER})
	cert, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	return cert, certPEM, nil
}

// WriteSelfSignedCert writes a new self-signed certificate and its private
// key (PEM) for localhost, 127.0.0.1 and ::1 to certFile and keyFile, for
// `respond sim serve --tls-cert --tls-key` and for clients that need the
// certificate as a trusted root (gh with SSL_CERT_FILE).
func WriteSelfSignedCert(certFile, keyFile string) error {
	cert, certPEM, err := selfSignedCert(time.Now())
	if err != nil {
		return fmt.Errorf("generate a self-signed certificate: %w", err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(cert.PrivateKey)
	if err != nil {
		return fmt.Errorf("encode the certificate's key: %w", err)
	}
	if err := os.WriteFile(certFile, certPEM, 0o644); err != nil {
		return fmt.Errorf("write certificate %s: %w", certFile, err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), 0o600); err != nil {
		return fmt.Errorf("write key %s: %w", keyFile, err)
	}
	return nil
}

// needTLS reports whether a service's clients speak only HTTPS
// (simapi.TLSOnly).
func (s *Sim) needTLS() bool {
	for _, sv := range s.services {
		if tlsOnly(sv.Service) {
			return true
		}
	}
	return false
}

func tlsOnly(sv simapi.Service) bool {
	t, ok := sv.(simapi.TLSOnly)
	return ok && t.NeedsTLS()
}

// listenTLS listens on a second port of the main listener's host, over
// HTTPS with a certificate generated for it, for the services whose
// clients speak only HTTPS while the simulator serves plain HTTP (see
// simapi.TLSOnly). The main port stays as it is.
func (s *Sim) listenTLS(ctx context.Context, main net.Addr) (net.Listener, error) {
	host, _, err := net.SplitHostPort(main.String())
	if err != nil {
		return nil, fmt.Errorf("the simulator's address %s: %w", main, err)
	}
	cert, pemBytes, err := selfSignedCert(time.Now(), host)
	if err != nil {
		return nil, fmt.Errorf("generate a certificate for the simulator's HTTPS port: %w", err)
	}
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", net.JoinHostPort(host, "0"))
	if err != nil {
		return nil, fmt.Errorf("simulator cannot listen on a second port of %s for the APIs served over HTTPS only: %w", host, err)
	}
	ln = tls.NewListener(ln, &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12})
	s.tlsURL, s.tlsPEM = "https://"+urlHost(ln.Addr()), pemBytes
	return ln, nil
}

// serviceBase is the URL a service is served at (its prefix without the
// trailing slash), and the certificate its clients must trust (nil when
// the system's roots or SSL_CERT_FILE decide).
func (s *Sim) serviceBase(sv simapi.Service) (string, []byte) {
	base, ca := s.url, s.caPEM
	if s.tlsURL != "" && tlsOnly(sv) {
		base, ca = s.tlsURL, s.tlsPEM
	}
	return base + strings.TrimSuffix(sv.Prefix(), "/"), ca
}

// ServiceURL is where the simulated service named name is served (its
// prefix without the trailing slash, "https://127.0.0.1:40125/k8s"), "" when
// there is none.
func (s *Sim) ServiceURL(name string) string {
	sv := s.Service(name)
	if sv == nil {
		return ""
	}
	u, _ := s.serviceBase(sv)
	return u
}
