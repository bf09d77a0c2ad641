package main

import "testing"

// The reading gate reads Open JTalk's -ot trace: the pronunciation column,
// accent marks dropped, punctuation skipped, nothing from the labels.
func TestParseTrace(t *testing.T) {
	trace := `[Text analysis result]
カード,名詞,一般,*,*,*,*,カード,カード,カード,1/3,C1,-1
を,助詞,格助詞,一般,*,*,*,を,ヲ,ヲ,0/1,動詞%F5/名詞%F1,1
差しこん,動詞,自立,*,*,五段・マ行,連用タ接続,差しこむ,サシコン,サシ’コン,3/4,C2,0
で,助詞,接続助詞,*,*,*,*,で,デ,デ,1/1,動詞%F1,1
ください,動詞,非自立,*,*,五段・ラ行特殊,命令ｉ,くださる,クダサイ,クダサイ,3/4,*,0
。,記号,句点,*,*,*,*,。,、,、,0/0,*,0

[Output label]
0 3100000 xx^xx-sil+k=a/A:xx+xx+xx/B:xx-xx_xx/C:xx_xx+xx,x,x,x,x,x,x,x,x,x
`
	tests := []struct{ name, in, want string }{
		{"sentence", trace, "カードヲサシコンデクダサイ"},
		{"empty", "", ""},
		{"no analysis", "[Output label]\n0 1 a,b,c,d,e,f,g,h,i,j\n", ""},
	}
	for _, tt := range tests {
		if got := ParseTrace(tt.in); got != tt.want {
			t.Errorf("%s: %q, want %q", tt.name, got, tt.want)
		}
	}
}
