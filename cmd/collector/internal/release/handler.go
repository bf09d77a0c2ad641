package release

import (
	"crypto/x509"
	"encoding/json"
	"log/slog"
	"net/http"
	"os"
	"strconv"
	"strings"

	"github.com/villagehall/kiosk/kiosk"
	"github.com/villagehall/kiosk/kiosk/update"
)

// Handler answers kiosks' update requests under /v1/update and passes
// everything else to next. Only kiosk certificates (verified by TLS, CN a
// kiosk ID, never staff) are answered; revocation is the outer guard's.
func Handler(d Dir, staffPrefix string, log *slog.Logger, next http.Handler) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/", next)
	mux.HandleFunc("GET "+update.PathOffer, func(w http.ResponseWriter, r *http.Request) {
		id, ok := kioskOf(w, r, staffPrefix)
		if !ok {
			return
		}
		o, ok, err := d.Current()
		if err != nil {
			log.Error("release: offer", "err", err)
			http.Error(w, "release unreadable", http.StatusInternalServerError)
			return
		}
		if !ok || !o.For(id) {
			w.WriteHeader(http.StatusNoContent)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(o)
	})
	mux.HandleFunc("GET "+update.PathBundle+"{serial}", func(w http.ResponseWriter, r *http.Request) {
		id, ok := kioskOf(w, r, staffPrefix)
		if !ok {
			return
		}
		serial, err := strconv.ParseUint(r.PathValue("serial"), 10, 64)
		o, cur, _ := d.Current()
		if err != nil || !cur || o.Serial != serial || !o.For(id) {
			http.NotFound(w, r)
			return
		}
		f, err := os.Open(d.bundlePath(serial))
		if err != nil {
			http.NotFound(w, r)
			return
		}
		defer f.Close()
		st, err := f.Stat()
		if err != nil {
			http.Error(w, "bundle unreadable", http.StatusInternalServerError)
			return
		}
		if r.Header.Get("Range") == "" {
			log.Info("release: kiosk fetches the bundle", "kiosk", id, "version", o.Version, "serial", o.Serial)
		}
		w.Header().Set("Content-Type", "application/octet-stream")
		http.ServeContent(w, r, "", st.ModTime(), f)
	})
	return mux
}

func kioskOf(w http.ResponseWriter, r *http.Request, staffPrefix string) (string, bool) {
	var c *x509.Certificate
	if r.TLS != nil && len(r.TLS.VerifiedChains) > 0 && len(r.TLS.PeerCertificates) > 0 {
		c = r.TLS.PeerCertificates[0]
	}
	if c == nil || strings.HasPrefix(c.Subject.CommonName, staffPrefix) || !kiosk.ValidKioskID(c.Subject.CommonName) {
		http.Error(w, "a kiosk client certificate is required", http.StatusForbidden)
		return "", false
	}
	return c.Subject.CommonName, true
}
