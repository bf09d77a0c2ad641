package escpostest

import (
	"sort"
	"time"

	"github.com/villagehall/kiosk/kiosk"
)

// SampleTime is the fixed time printed on sample slips (Japan time).
var SampleTime = time.Date(2025, 4, 1, 14, 5, 0, 0, time.FixedZone("JST", 9*60*60))

// sample fills the parts every slip shares. The office is fictional.
func sample(ref, titleJA, titleEN string, ja, en, bring []string) kiosk.Slip {
	return kiosk.Slip{
		Time:      SampleTime,
		Office:    "〇〇村役場 住民福祉課",
		Counter:   "1階 3番窓口 / Counter 3, 1F",
		Phone:     "0000-00-0000",
		Hours:     "平日 8:30-17:15 / Weekdays",
		TitleJA:   titleJA,
		TitleEN:   titleEN,
		LinesJA:   ja,
		LinesEN:   en,
		BringJA:   bring,
		Reference: ref,
	}
}

var bringRenewal = []string{
	"マイナンバーカード（有効期限内のもの）",
	"暗証番号が分かるもの",
	"代理人の場合は照会書の回答書・委任状・代理人の本人確認書類",
}

// Samples returns one plausible slip per outcome the kiosk prints. None
// carries a PIN or personal data: slips never do.
func Samples() map[string]kiosk.Slip {
	return map[string]kiosk.Slip{
		"status-ok": sample("VH01-0401-0001", "電子証明書の確認結果", "Certificate check",
			[]string{"利用者証明用電子証明書は有効です。", "有効期限: 2028年5月10日（残り1135日）", "暗証番号の残り回数: 利用者証明用 3回 / 署名用 5回"},
			[]string{"Your user-authentication certificate is valid.", "Valid until 10 May 2028 (1135 days left).", "PIN tries left: authentication 3, signing 5."}, nil),
		"pin-changed": sample("VH01-0401-0002", "暗証番号を変更しました", "PIN changed",
			[]string{"利用者証明用電子証明書の暗証番号（4桁）を変更しました。", "新しい暗証番号は他人に知られないよう大切に保管してください。"},
			[]string{"The authentication PIN (4 digits) has been changed.", "Keep your new PIN safe and do not share it."}, nil),
		"wrong-pin": sample("VH01-0401-0003", "暗証番号が違います", "Wrong PIN",
			[]string{"入力された暗証番号が正しくありません。", "残り回数: 2回。3回続けて間違えるとロックされます。", "分からない場合は、役場の窓口で再設定できます。"},
			[]string{"The PIN you entered was not correct.", "Tries left: 2. Three wrong entries in a row lock it.", "If you have forgotten it, the office can reset it."},
			[]string{"マイナンバーカード"}),
		"locked": sample("VH01-0401-0004", "暗証番号がロックされています", "PIN locked",
			[]string{"署名用電子証明書の暗証番号がロックされています。", "ロックの解除（再設定）は住所地の役場で行います。", "利用者証明用の暗証番号は引き続き使えます。"},
			[]string{"Your signing PIN is locked.", "It can be reset only at the village office.", "Your authentication PIN still works."},
			[]string{"マイナンバーカード", "本人確認のため、カードは必ずご本人がお持ちください"}),
		"unknown": sample("VH01-0401-0005", "結果を確認できませんでした", "Result unknown",
			[]string{"暗証番号の変更をカードに送りましたが、応答がありませんでした。", "変更されたかどうか分かりません。窓口で確認してください。"},
			[]string{"The PIN change was sent to the card, but no answer came back.", "We cannot tell whether it changed. Please ask at the counter."},
			[]string{"マイナンバーカード", "この用紙"}),
		"renewal": sample("VH01-0401-0006", "更新の時期です", "Time to renew",
			[]string{"利用者証明用電子証明書の有効期限は2025年6月20日です。", "有効期限の3か月前から更新できます。役場の窓口へお越しください。"},
			[]string{"Your authentication certificate expires on 20 June 2025.", "Renewal opens 3 months before expiry. Please visit the office."},
			bringRenewal),
		"expired": sample("VH01-0401-0007", "電子証明書の有効期限が切れています", "Certificate expired",
			[]string{"利用者証明用電子証明書の有効期限（2025年3月2日）が過ぎています。", "新しい電子証明書の発行は役場の窓口で行います。"},
			[]string{"Your authentication certificate expired on 2 March 2025.", "A new certificate is issued at the office."},
			bringRenewal),
		"no-signing": sample("VH01-0401-0008", "署名用電子証明書がありません", "No signing certificate",
			[]string{"このカードには署名用電子証明書が入っていません。", "e-Taxなどの電子申請には署名用電子証明書が必要です。", "15歳未満の方には発行されません。"},
			[]string{"This card has no signing certificate.", "Electronic filings such as e-Tax need one.", "It is not issued to residents under 15."},
			bringRenewal),
		"juki": sample("VH01-0401-0009", "住基カードはご利用いただけません", "Juki card not supported",
			[]string{"住民基本台帳カード（住基カード）への電子証明書の発行は終了しました。", "マイナンバーカードの交付申請は役場の窓口で受け付けています。"},
			[]string{"Certificates are no longer issued on the Juki card.", "You can apply for a My Number Card at the office."},
			[]string{"住基カード", "本人確認書類（運転免許証など）"}),
	}
}

// SampleKinds lists the sample names in a stable order.
func SampleKinds() []string {
	m := Samples()
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
