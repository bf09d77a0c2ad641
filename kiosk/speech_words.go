package kiosk

// The few sentences only the voice says, and the labels of its two keys.
// They sit apart from words.go so the screen catalogue stays the screens'
// own; they are catalogue texts all the same (Prompts renders them).
var (
	voiceRepeat = Text{"もう一度", "Repeat"}
	voiceVolume = Text{"音量", "Volume"}
	// voiceHelp follows the waiting prompt: how to hear it again.
	voiceHelp = Text{"音声の案内をもう一度聞くときは、「もう一度」のキーを押してください。",
		"To hear this again, press the Repeat key."}
	// voiceVolumeSet plays at the level just chosen, so the resident hears it.
	voiceVolumeSet = Text{"この大きさでご案内します。", "I will speak at this volume."}
	voiceIdleGoOn  = Text{"続けるときは、どれかのキーを押してください。", "To continue, press any key."}
	voiceEnterDone = Text{"入れおわったら、決定のキーを押してください。", "When you have entered it, press the OK key."}
	// voiceMenuPress names one menu choice and its digit key.
	voiceMenuPress = Text{"%[2]sときは、%[1]sを押してください。", "To %[2]s, press %[1]s."}
	voiceNoDates   = Text{"日付は、画面と用紙でお確かめください。", "Please read the dates on the screen or the slip."}
)

// VoiceWords is the voice's own keys as the screens label them.
func VoiceWords() (repeat, volume Text) { return voiceRepeat, voiceVolume }
