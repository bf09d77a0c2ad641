package browsertest

import (
	"crypto/tls"
	"fmt"
	"log"
	"net"
	"net/http"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	ksync "github.com/villagehall/kiosk/kiosk/sync"
	"github.com/villagehall/kiosk/kiosk/sync/pki"
	"github.com/villagehall/kiosk/kiosk/sync/synctest"
)

// A server that demands a client certificate from the village CA: the
// browser trusts the server, presents its one certificate without asking,
// and downloads what it is sent; a browser without a certificate is turned
// away at the handshake.
func TestClientCertificateAndDownload(t *testing.T) {
	files, err := pki.Generate(t.TempDir(), pki.ECDSA, "staff-tanaka")
	if err != nil {
		t.Fatal(err)
	}
	pool, err := ksync.LoadCAPool(files.CAFile)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := tls.LoadX509KeyPair(files.ServerCert, files.ServerKey)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, `<html><body><p id="who">%s</p><a id="dl" href="/file">file</a></body></html>`,
			r.TLS.PeerCertificates[0].Subject.CommonName)
	})
	mux.HandleFunc("/file", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Disposition", `attachment; filename="x.csv"`)
		w.Header().Set("Content-Type", "text/csv")
		fmt.Fprint(w, "a,b\r\n1,2\r\n")
	})
	var handshakes synctest.LogBuffer
	srv := &http.Server{Handler: mux, TLSConfig: &tls.Config{Certificates: []tls.Certificate{cert},
		ClientCAs: pool, ClientAuth: tls.RequireAndVerifyClientCert},
		ErrorLog: log.New(&handshakes, "", 0)} // the refused handshakes
	go srv.ServeTLS(ln, "", "")
	t.Cleanup(func() { srv.Close() })
	url := "https://" + ln.Addr().String() + "/"

	b := New(t, Options{CAFile: files.CAFile, CertFile: files.Clients["staff-tanaka"].Cert, KeyFile: files.Clients["staff-tanaka"].Key})
	b.Do(chromedp.Navigate(url))
	who := Get(b, chromedp.Text(chromedp.CSS("#who")))
	if who != "staff-tanaka" {
		t.Errorf("server saw %q, want the staff certificate", who)
	}
	name, data := b.Download(chromedp.Click(chromedp.CSS("#dl")))
	if name != "x.csv" || string(data) != "a,b\r\n1,2\r\n" {
		t.Errorf("download %q = %q", name, data)
	}

	anon := New(t, Options{CAFile: files.CAFile})
	// Chromium names the refusal ERR_BAD_SSL_CLIENT_AUTH_CERT or, when the
	// server's close wins the race, ERR_SOCKET_NOT_CONNECTED; the server
	// says why.
	if err := anon.Try(chromedp.Navigate(url)); err == nil || !strings.Contains(err.Error(), "net::ERR_") {
		t.Errorf("a browser without a certificate: %v, want a refused connection", err)
	}
	if got := handshakes.String(); !strings.Contains(got, "didn't provide a certificate") {
		t.Errorf("the server did not refuse for the missing certificate: %q", got)
	}
}
