package pcsc

// #cgo pkg-config: libpcsclite
// #include <stdlib.h>
// #include <winscard.h>
import "C"

import (
	"context"
	"sync"
	"time"
	"unsafe"

	"github.com/ebfe/scard"
)

// statusCtx is a PC/SC context used only for SCardGetStatusChange and
// SCardListReaders, bound directly through cgo.
//
// Why not ebfe/scard here: its GetStatusChange writes every reader name
// into an unsynchronised package-level map (`pinned`), so two goroutines
// calling it at once (the watcher and a removal check, which coincide
// exactly when a card is pulled) can crash the process with "concurrent
// map writes". Card I/O stays on ebfe/scard.
//
// A statusCtx is also always separate from the context used for Transmit:
// a context blocked in GetStatusChange must not be shared with card I/O.
type statusCtx struct {
	mu       sync.Mutex
	h        C.SCARDCONTEXT
	released bool
}

func newStatusCtx() (*statusCtx, error) {
	var h C.SCARDCONTEXT
	if r := C.SCardEstablishContext(C.SCARD_SCOPE_SYSTEM, nil, nil, &h); r != C.SCARD_S_SUCCESS {
		return nil, scard.Error(r)
	}
	return &statusCtx{h: h}, nil
}

// cancel makes a blocked getStatusChange return SCARD_E_CANCELLED. Safe
// from any goroutine and after release.
func (s *statusCtx) cancel() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.released {
		C.SCardCancel(s.h)
	}
}

func (s *statusCtx) release() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.released {
		s.released = true
		C.SCardReleaseContext(s.h)
	}
}

// listReaders returns the reader names; none is an empty list, not an error.
func (s *statusCtx) listReaders() ([]string, error) {
	for {
		var n C.DWORD
		r := C.SCardListReaders(s.h, nil, nil, &n)
		if r == C.SCARD_E_NO_READERS_AVAILABLE {
			return nil, nil
		}
		if r != C.SCARD_S_SUCCESS {
			return nil, scard.Error(r)
		}
		buf := make([]byte, n)
		r = C.SCardListReaders(s.h, nil, (*C.char)(unsafe.Pointer(&buf[0])), &n)
		switch r {
		case C.SCARD_S_SUCCESS:
			return splitMultiString(buf[:n]), nil
		case C.SCARD_E_INSUFFICIENT_BUFFER:
			continue // a reader arrived between the two calls
		case C.SCARD_E_NO_READERS_AVAILABLE:
			return nil, nil
		default:
			return nil, scard.Error(r)
		}
	}
}

func splitMultiString(b []byte) []string {
	var out []string
	start := 0
	for i, c := range b {
		if c == 0 {
			if i > start {
				out = append(out, string(b[start:i]))
			}
			start = i + 1
		}
	}
	return out
}

// readerState mirrors SCARD_READERSTATE. Current and Event keep pcsc-lite's
// event counter in the upper 16 bits; compare flags via flags().
type readerState struct {
	Reader  string
	Current uint32
	Event   uint32
	ATR     []byte
}

func (r readerState) flags() scard.StateFlag { return scard.StateFlag(r.Event & 0xFFFF) }
func (r readerState) counter() uint32        { return r.Event >> 16 }

// pnpReader is the pseudo reader that changes when readers come and go.
const pnpReader = `\\?PnP?\Notification`

// getStatusChange blocks until a state differs from Current, the timeout
// passes (SCARD_E_TIMEOUT) or cancel is called (SCARD_E_CANCELLED).
func (s *statusCtx) getStatusChange(states []readerState, timeout time.Duration) error {
	if len(states) == 0 {
		return nil
	}
	// C memory for the array and the names: the call may block for long.
	size := C.size_t(unsafe.Sizeof(C.SCARD_READERSTATE{}))
	arr := (*C.SCARD_READERSTATE)(C.calloc(C.size_t(len(states)), size))
	defer C.free(unsafe.Pointer(arr))
	cs := unsafe.Slice(arr, len(states))
	for i, st := range states {
		name := C.CString(st.Reader)
		defer C.free(unsafe.Pointer(name))
		cs[i].szReader = name
		cs[i].dwCurrentState = C.DWORD(st.Current)
	}
	ms := C.DWORD(C.INFINITE)
	if timeout >= 0 {
		ms = C.DWORD(timeout / time.Millisecond)
	}
	if r := C.SCardGetStatusChange(s.h, ms, arr, C.DWORD(len(states))); r != C.SCARD_S_SUCCESS {
		return scard.Error(r)
	}
	for i := range states {
		states[i].Event = uint32(cs[i].dwEventState)
		n := min(int(cs[i].cbAtr), len(cs[i].rgbAtr))
		states[i].ATR = C.GoBytes(unsafe.Pointer(&cs[i].rgbAtr[0]), C.int(n))
	}
	return nil
}

// cancelOn makes getStatusChange on s return soon after ctx ends, and
// returns a stop function to call before s is released.
//
// One SCardCancel is not enough: pcsc-lite ignores it unless the context
// is blocked in SCardGetStatusChange at that instant, so a cancel landing
// between two calls would be lost until the next timeout. Repeat it until
// the caller stops us.
func cancelOn(ctx context.Context, s *statusCtx) (stop func()) {
	quit := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		select {
		case <-quit:
			return
		case <-ctx.Done():
		}
		t := time.NewTicker(20 * time.Millisecond)
		defer t.Stop()
		for {
			s.cancel()
			select {
			case <-quit:
				return
			case <-t.C:
			}
		}
	}()
	return func() {
		close(quit)
		<-done
	}
}
