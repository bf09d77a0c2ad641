# Voice prompts (issue 23). `make voice` renders every prompt of the
# catalogue with Open JTalk (Japanese) and flite (English) into build/voice
# and gates each one (cmd/voicegen). Only this machine needs the voice,
# which is in Debian contrib: it is fetched with a throwaway apt
# configuration into build/voice-tools, never added to the system's
# sources; the image stays main + non-free-firmware.
VOICE_DIR   ?= build/voice
VOICE_TOOLS := build/voice-tools
HTSVOICE    := $(VOICE_TOOLS)/usr/share/hts-voice/nitech-jp-atr503-m001/nitech_jp_atr503_m001.htsvoice

.PHONY: voice voice-deps voice-readings

voice-deps:
	@bash cmd/voicegen/voice-deps.sh $(VOICE_TOOLS)

voice: voice-deps
	$(GO) run ./cmd/voicegen -out $(VOICE_DIR) -voice $(HTSVOICE)

# After a catalogue change: writes the synthesiser's readings of changed
# prompts into kiosk/readings.tsv (printed as CHECK lines). A person checks
# each against the text, fixes what is misread (kiosk.Text.Spoken) and commits.
voice-readings: voice-deps
	$(GO) run ./cmd/voicegen -voice $(HTSVOICE) -readings kiosk/readings.tsv
