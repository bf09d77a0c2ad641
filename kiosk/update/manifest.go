// Package update is the kiosk's A/B updater, free of hardware: signed update
// bundles (this file, bundle.go), the slot state kept on the data partition
// and the decisions around a trial boot (slots.go, commit.go). The firmware,
// the partitions and the clock come in through small interfaces so that the
// tests can model the SD card as files and cut the power at every write.
package update

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
)

// Board is what a bundle must name to be installed on this kiosk: a Raspberry
// Pi 4 (also 400 / CM4) running the arm64 image. A Pi 5 image would be
// another board string, so that a wrong stick can never flash it here.
const Board = "rpi4-arm64"

// FormatVersion is the bundle layout this code reads.
const FormatVersion = 1

// Payload kinds.
const (
	KindBoot = "boot" // a FAT image of one slot's boot partition (its cmdline.txt names that slot's root)
	KindRoot = "root" // the ext4 root image, the same for both slots
)

// Payload describes one file of the bundle: what is written where, and the
// size and SHA-256 of the bytes that land on the partition (after gzip).
type Payload struct {
	Name     string `json:"name"`           // file name inside the bundle
	Kind     string `json:"kind"`           // KindBoot or KindRoot
	Slot     string `json:"slot,omitempty"` // "a" or "b" for a boot image; empty for the root
	Encoding string `json:"encoding"`       // "gzip" or "raw": how the file is stored in the bundle
	Size     int64  `json:"size"`           // bytes written to the partition
	SHA256   string `json:"sha256"`         // hex, of those bytes
}

// Manifest is the signed description of a bundle.
type Manifest struct {
	Format  int    `json:"format"`
	Board   string `json:"board"`
	Version string `json:"version"` // what people read: git describe of the build
	// Serial orders releases: a kiosk installs only a serial above the one it
	// runs and above every one it committed (no downgrade, no replay).
	Serial   uint64    `json:"serial"`
	Created  string    `json:"created,omitempty"`
	Payloads []Payload `json:"payloads"`
}

var (
	hexHash  = regexp.MustCompile(`^[0-9a-f]{64}$`)
	safeName = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,63}$`)
)

// maxPayload bounds what a manifest may claim for one partition (the slots are
// 1.5 GiB; a boot partition far less).
const maxPayload = 4 << 30

// ParseManifest reads and checks the shape of a manifest (not its signature,
// nor whether this kiosk may install it: see Policy).
func ParseManifest(b []byte) (*Manifest, error) {
	var m Manifest
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("manifest: %w", err)
	}
	if dec.More() {
		return nil, fmt.Errorf("manifest: data after the JSON value")
	}
	return &m, m.check()
}

func (m *Manifest) check() error {
	if m.Format != FormatVersion {
		return fmt.Errorf("manifest: format %d, this kiosk reads %d", m.Format, FormatVersion)
	}
	if m.Board == "" || m.Version == "" || m.Serial == 0 {
		return fmt.Errorf("manifest: board, version and serial are required")
	}
	seen := map[string]bool{}
	var boots, roots int
	for _, p := range m.Payloads {
		if !safeName.MatchString(p.Name) || seen[p.Name] || p.Name == manifestName || p.Name == signatureName {
			return fmt.Errorf("manifest: payload name %q: bad or repeated", p.Name)
		}
		seen[p.Name] = true
		if !hexHash.MatchString(p.SHA256) || p.Size <= 0 || p.Size > maxPayload {
			return fmt.Errorf("manifest: payload %s: bad size or sha256", p.Name)
		}
		if p.Encoding != "gzip" && p.Encoding != "raw" {
			return fmt.Errorf("manifest: payload %s: encoding %q", p.Name, p.Encoding)
		}
		switch {
		case p.Kind == KindRoot && p.Slot == "":
			roots++
		case p.Kind == KindBoot && (p.Slot == "a" || p.Slot == "b"):
			boots++
			if seen["boot-slot-"+p.Slot] {
				return fmt.Errorf("manifest: two boot images for slot %s", p.Slot)
			}
			seen["boot-slot-"+p.Slot] = true
		default:
			return fmt.Errorf("manifest: payload %s: kind %q slot %q", p.Name, p.Kind, p.Slot)
		}
	}
	if roots != 1 || boots != 2 {
		return fmt.Errorf("manifest: need one root and a boot image for each slot, got %d and %d", roots, boots)
	}
	return nil
}

// For returns the payloads written into slot s ("a" or "b"): its boot image and the root.
func (m *Manifest) For(s string) (boot, root Payload) {
	for _, p := range m.Payloads {
		switch {
		case p.Kind == KindBoot && p.Slot == s:
			boot = p
		case p.Kind == KindRoot:
			root = p
		}
	}
	return boot, root
}
