package bot

import (
	"strings"
	"testing"
)

func TestTrackKeepsWindow(t *testing.T) {
	var tr ConceptTrack
	for i := range CoverageWindow + 3 {
		o := Earned
		if i%3 == 0 {
			o = Missed
		}
		tr.Track(ConceptMark{Key: "f:data:labels", Label: "Labels", Step: Data, Outcome: o})
	}
	if len(tr.Recent) != CoverageWindow || tr.Total != CoverageWindow+3 {
		t.Fatalf("track = %+v, want a window of %d and total %d", tr, CoverageWindow, CoverageWindow+3)
	}
	// outcomes 3..12: misses at 3, 6, 9, 12
	if tr.Misses() != 4 || tr.Recent != "MEEMEEMEEM" {
		t.Errorf("recent %q misses %d, want MEEMEEMEEM and 4", tr.Recent, tr.Misses())
	}
}

func TestMostMissedOrder(t *testing.T) {
	tracks := []ConceptTrack{
		{Key: "f:data:a", Label: "A", Step: Data, Recent: "MME", Weight: 1},
		{Key: "f:data:b", Label: "B", Step: Data, Recent: "MMM", Weight: 1},
		{Key: "f:data:c", Label: "C", Step: Data, Recent: "MEM", Weight: 3},
		{Key: "f:data:d", Label: "D", Step: Data, Recent: "MEM", Weight: 1, Important: true},
		{Key: "f:data:e", Label: "E", Step: Data, Recent: "EEE", Weight: 5, Important: true},
		{Key: "r:leak", Label: "Leak", Step: Data, Recent: "FFF", Total: 3},
		{Key: "f:data:f", Label: "F", Step: Data, Recent: "DM", Weight: 1}, // dismissed counts as missed
	}
	var got []string
	for _, tr := range MostMissed(tracks, 10) {
		got = append(got, tr.Label)
	}
	// B: 3; D: 2 important; C: 2 heavier; F: 2 of 2 (fewer chances); A last
	if want := "B D C F A"; strings.Join(got, " ") != want {
		t.Errorf("MostMissed = %v, want %s", got, want)
	}
	if got := MostMissed(tracks, 2); len(got) != 2 {
		t.Errorf("limit 2 gave %d", len(got))
	}
}

func TestProgressText(t *testing.T) {
	st := Stats{Sessions: 3, StepTotals: [Steps]float64{2, 2, 2, 2, 2, 2, 0.9}}
	hist := []HistoryEntry{ // newest first
		{Kind: KindInterview, StepScores: [Steps]float64{6: 0.5}},
		{Kind: KindDrill, Step: Data, StepScores: [Steps]float64{2: 0.9}},
		{Kind: KindDrill, Step: Monitoring, StepScores: [Steps]float64{6: 0.3}},
		{Kind: KindInterview, StepScores: [Steps]float64{6: 0.1}},
	}
	tracks := []ConceptTrack{
		{Key: "f:monitoring:feedback_loop", Label: "Feedback loop", Step: Monitoring, Recent: "MMEMM", Weight: 1},
		{Key: "f:data:labels", Label: "Labels_and_*stars*", Step: Data, Recent: "MMMMM", Weight: 1},
		{Key: "r:leak", Label: "Leakage", Step: Data, Recent: "FF", Total: 2},
		{Key: "r:once", Label: "Once", Step: Data, Recent: "F", Total: 1},
	}
	got := ProgressText(st, PersonProgress{Tracks: tracks, History: hist})
	for _, want := range []string{
		"**Concepts you miss most**\n- _Labels and  stars _ (Data & features) — missed 5 of the last 5 times\n- _Feedback loop_ (Monitoring & infrastructure) — missed 4 of the last 5 times",
		"**Red flags you raised more than once**\n- Leakage (Data & features) — 2 times",
		"**Weakest step trend:** Monitoring & infrastructure — 10% → 30% → 50% (improving)",
		"**Next:** a drill on Monitoring & infrastructure — you missed _Feedback loop_ 4 of the last 5 times (`/mlsd drill monitoring`).",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("ProgressText lacks\n%s\ngot:\n%s", want, got)
		}
	}
	if strings.Contains(got, "Once") {
		t.Errorf("a flag raised once is listed:\n%s", got)
	}
	if ProgressText(Stats{}, PersonProgress{}) != "" {
		t.Error("ProgressText of nothing is not empty")
	}
}

func TestThreadLink(t *testing.T) {
	for _, tt := range []struct {
		p                    Platform
		ws, ch, thread, want string
	}{
		{Discord, "111", "222", "333", "https://discord.com/channels/111/333"},
		{Slack, "T1", "C1", "1700000000.123456", "https://app.slack.com/client/T1/C1/thread/C1-1700000000.123456"},
		{Console, "local", "console", "t1", ""},
		{Slack, "T1", "C1", "", ""},
		{Slack, "T1", "C1>", "1.2", ""},
		{Discord, "1 1", "2", "3", ""},
	} {
		if got := ThreadLink(tt.p, tt.ws, tt.ch, tt.thread); got != tt.want {
			t.Errorf("ThreadLink(%s, %q, %q, %q) = %q, want %q", tt.p, tt.ws, tt.ch, tt.thread, got, tt.want)
		}
	}
}
