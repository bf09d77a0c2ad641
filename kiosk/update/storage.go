package update

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// Device is a partition opened for the updater.
type Device interface {
	io.ReaderAt
	io.WriterAt
	Sync() error
	Close() error
}

// Storage opens partitions and writes small files; the tests put a power
// switch in front of it.
type Storage interface {
	OpenDevice(path string) (Device, error)
	WriteFileAtomic(path string, b []byte) error
}

// OSStorage is the kiosk's: block devices and files as they are.
type OSStorage struct{}

// OpenDevice opens a partition read-write. O_SYNC is not used: the writer
// syncs once per payload and reads back what it wrote.
func (OSStorage) OpenDevice(path string) (Device, error) {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	return f, nil
}

// WriteFileAtomic writes b as path so that a power cut leaves either the old
// or the new content.
func (OSStorage) WriteFileAtomic(path string, b []byte) error {
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return err
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		return err
	}
	d, err := os.Open(filepath.Dir(path))
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
