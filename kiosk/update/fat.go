package update

import (
	"encoding/binary"
	"fmt"
	"io"
	"strings"
)

// LocateFile finds a small file in the root directory of a FAT12/16/32 file
// system (an 8.3 name, as mkfs.vfat + mcopy write autoboot.txt) and returns
// the byte offset of its data and its size. Only a file that lies in its first
// cluster is found: that is what lets the updater rewrite it in place.
func LocateFile(dev io.ReaderAt, name string) (off, size int64, err error) {
	bs := make([]byte, 512)
	if _, err := dev.ReadAt(bs, 0); err != nil {
		return 0, 0, fmt.Errorf("fat: boot sector: %w", err)
	}
	bps := int64(binary.LittleEndian.Uint16(bs[11:]))
	spc := int64(bs[13])
	reserved := int64(binary.LittleEndian.Uint16(bs[14:]))
	nfats := int64(bs[16])
	rootEntries := int64(binary.LittleEndian.Uint16(bs[17:]))
	fatSize := int64(binary.LittleEndian.Uint16(bs[22:]))
	if fatSize == 0 {
		fatSize = int64(binary.LittleEndian.Uint32(bs[36:]))
	}
	if bs[510] != 0x55 || bs[511] != 0xAA || bps < 512 || bps > 4096 || spc == 0 || nfats == 0 || fatSize == 0 {
		return 0, 0, fmt.Errorf("fat: not a FAT file system")
	}
	rootDir := (reserved + nfats*fatSize) * bps
	dataStart := rootDir + rootEntries*32
	clusterSize := spc * bps
	dirLen := rootEntries * 32
	if rootEntries == 0 { // FAT32: the root directory is a cluster chain; ours is small
		rootCluster := int64(binary.LittleEndian.Uint32(bs[44:]))
		rootDir = dataStart + (rootCluster-2)*clusterSize
		dirLen = clusterSize
	}
	want, err := shortName(name)
	if err != nil {
		return 0, 0, err
	}
	dir := make([]byte, dirLen)
	if _, err := dev.ReadAt(dir, rootDir); err != nil {
		return 0, 0, fmt.Errorf("fat: root directory: %w", err)
	}
	for i := 0; i+32 <= len(dir); i += 32 {
		e := dir[i : i+32]
		if e[0] == 0 {
			break
		}
		if e[0] == 0xE5 || e[11]&0x18 != 0 || string(e[:11]) != want { // deleted, volume label, directory or long-name part
			continue
		}
		cluster := int64(binary.LittleEndian.Uint16(e[26:])) | int64(binary.LittleEndian.Uint16(e[20:]))<<16
		size = int64(binary.LittleEndian.Uint32(e[28:]))
		if cluster < 2 || size > clusterSize {
			return 0, 0, fmt.Errorf("fat: %s: cluster %d, %d bytes: not in one cluster", name, cluster, size)
		}
		return dataStart + (cluster-2)*clusterSize, size, nil
	}
	return 0, 0, fmt.Errorf("fat: %s: not in the root directory", name)
}

func shortName(name string) (string, error) {
	base, ext, _ := strings.Cut(strings.ToUpper(name), ".")
	if len(base) == 0 || len(base) > 8 || len(ext) > 3 {
		return "", fmt.Errorf("fat: %q is not an 8.3 name", name)
	}
	return fmt.Sprintf("%-8s%-3s", base, ext), nil
}
