package rubric

import (
	"os"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestNormalizeTokens(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"", nil},
		{"  -- / ... ", nil},
		{"A/B testing", []string{"a", "b", "test"}},
		{"a-b tests", []string{"a", "b", "test"}},
		{"AB test", []string{"ab", "test"}},
		{"don't", []string{"dont"}},
		{"don’t skip it", []string{"dont", "skip", "it"}},
		{"user's history", []string{"user", "history"}},
		{"“Quoted” — dash–separated", []string{"quot", "dash", "separat"}},
		{"p99 latency", []string{"p", "99", "latency"}},
		{"100ms", []string{"100", "ms"}},
		{"recall@k", []string{"recal", "at", "k"}},
		{"0.5 AUC.", []string{"0", "5", "auc"}},
		{"ＡＢ　ＴＥＳＴ", []string{"ab", "test"}},
		{"ﬁne-tuning", []string{"fine", "tune"}},
		{"Café", []string{"cafe"}},
		{"Cafe\u0301", []string{"cafe"}}, // decomposed accent
		{"Straße", []string{"strasse"}},
		{"Naïve Bayes", []string{"naive", "baye"}},
		{"Œuvre ŁÓDŹ", []string{"oeuvre", "lodz"}},
		{"Δίκτυο", []string{"δίκτυο"}}, // other scripts: lower-cased only,
		{"soft\u00adhyphen zero\u200bwidth", []string{"softhyphen", "zerowidth"}},
		{"embeddings embedded embedding embed", []string{"embed", "embed", "embed", "embed"}},
		{"caches caching cache cached", []string{"cach", "cach", "cache", "cach"}}, // phrases also compile as "cach",
		{"labels labelled labeled labeling labelling", []string{"label", "label", "label", "label", "label"}},
		{"queries query categories", []string{"query", "query", "category"}},
		{"classes class losses", []string{"class", "class", "loss"}},
		{"bias biases status statuses", []string{"bias", "bias", "status", "status"}},
		{"indices indexes index", []string{"index", "index", "index"}},
		{"features feature featured", []string{"feature", "feature", "featur"}},
		{"ranking ranked ranks re-ranking reranking", []string{"rank", "rank", "rank", "re", "rank", "rerank"}},
		{"ads ids gpus kpis", []string{"ad", "id", "gpu", "kpi"}},
		{"string thing need speed", []string{"string", "thing", "need", "speed"}},
		{"note noted noting notes", []string{"note", "noted", "note", "note"}}, // never "not"
		{"batches boxes crashes sizes", []string{"batch", "box", "crash", "siz"}},
		{"based rule-based tuned noted", []string{"base", "rule", "base", "tune", "noted"}},
	}
	for _, tt := range tests {
		if got := NormalizeTokens(tt.in); !slices.Equal(got, tt.want) {
			t.Errorf("NormalizeTokens(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// Phrases are compared as concatenated tokens, so spacing, hyphens and
// slashes inside a phrase do not matter.
func TestPhraseKeyEquivalence(t *testing.T) {
	groups := [][]string{
		{"a/b test", "A/B testing", "ab test", "a b tests", "A-B Testing", "ab-test"},
		{"re-ranking", "reranking", "re ranking", "Re-Rankings"},
		{"multi-class", "multiclass", "multi class", "multi-classes"},
		{"recall@k", "recall at k", "Recall at K"},
		{"co-occurrence", "cooccurrence", "co occurrences"},
	}
	for _, g := range groups {
		want, _ := phraseKey(g[0])
		for _, p := range g[1:] {
			if got, _ := phraseKey(p); string(got) != string(want) {
				t.Errorf("phraseKey(%q) = %q, want %q (as %q)", p, got, want, g[0])
			}
		}
	}
}

func TestTokenOffsets(t *testing.T) {
	text := "Hello, «Wörld»! A/B-test\n p99."
	var z tokenizer
	z.tokenize(text)
	var got []string
	for _, tk := range z.toks {
		got = append(got, text[tk.os:tk.oe])
	}
	want := []string{"Hello", "Wörld", "A", "B", "test", "p", "99"}
	if !slices.Equal(got, want) {
		t.Fatalf("token source spans = %q, want %q", got, want)
	}
	brks := []uint8{0, brkClause, brkSentence, 0, 0, brkSentence, brkJoined}
	for i, tk := range z.toks {
		if tk.brk != brks[i] {
			t.Errorf("token %q break = %b, want %b", got[i], tk.brk, brks[i])
		}
	}
	if n := CountWords(text); n != 6 {
		t.Errorf("CountWords = %d, want 6 (p99 is one word)", n)
	}
}

func TestPhraseProblem(t *testing.T) {
	neg := []string{"no", "not", "don't", "never"}
	tests := []struct {
		phrase string
		ok     bool
		want   string
	}{
		{"feature store", true, ""},
		{"given * predict", true, ""},
		{"no history", true, ""},
		{"", false, "no words"},
		{" -- // ", false, "no words"},
		{"* predict", false, "starts or ends"},
		{"given *", false, "starts or ends"},
		{"given * * predict", false, "two"},
		{"not", false, "only negation"},
		{"Don’t never", false, "only negation"},
		{"latency & not a concern", true, ""},
		{"a & b & c & d", true, ""},
		{"a & b & c & d & e", false, "at most 4"},
		{"downscale * & single pass", false, "mixes"},
		{"cache & ", false, "empty part"},
		{"new items & never & shown", true, ""},
	}
	for _, tt := range tests {
		got := PhraseProblem(tt.phrase, neg)
		if (got == "") != tt.ok || !strings.Contains(got, tt.want) {
			t.Errorf("PhraseProblem(%q) = %q, want ok=%v containing %q", tt.phrase, got, tt.ok, tt.want)
		}
	}
}

func FuzzNormalize(f *testing.F) {
	for _, s := range []string{"A/B testing", "don’t", "Café\u0301 ＡＢ ﬁ", "p99@k...", "\xff\xfe", "x'y'z", "sses ies ed ing"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var z tokenizer
		z.tokenize(s)
		prevEnd := int32(0)
		for _, tk := range z.toks {
			if tk.ns >= tk.ne {
				t.Fatalf("empty token in %q", s)
			}
			if tk.os < prevEnd || tk.os >= tk.oe || int(tk.oe) > len(s) {
				t.Fatalf("bad source span %d:%d (previous end %d) in %q", tk.os, tk.oe, prevEnd, s)
			}
			if !utf8.Valid(z.text(tk)) {
				t.Fatalf("token %q is not UTF-8", z.text(tk))
			}
			prevEnd = tk.oe
		}
		a := NormalizeTokens(s)
		if b := NormalizeTokens(s); !slices.Equal(a, b) {
			t.Fatalf("not deterministic: %q vs %q", a, b)
		}
		for _, tok := range a {
			if tok != strings.ToLower(tok) && utf8.ValidString(tok) && strings.ToLower(tok) != tok {
				// Non-ASCII letters keep unicode.ToLower's answer; ASCII must be lower.
				for _, c := range []byte(tok) {
					if 'A' <= c && c <= 'Z' {
						t.Fatalf("token %q has upper case", tok)
					}
				}
			}
		}
	})
}

// BenchmarkTokenize is the normalisation share of BenchmarkGrade.
func BenchmarkTokenize(b *testing.B) {
	data, err := os.ReadFile("testdata/grader/answer-data.txt")
	if err != nil {
		b.Fatal(err)
	}
	text := string(data[:4000])
	var z tokenizer
	b.SetBytes(int64(len(text)))
	b.ReportAllocs()
	for b.Loop() {
		z.reset()
		z.tokenize(text)
	}
}
