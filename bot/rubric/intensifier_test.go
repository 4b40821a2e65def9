package rubric

import (
	"strings"
	"testing"
)

func TestIntensifiersEndInLy(t *testing.T) {
	for w := range intensifiers {
		if !strings.HasSuffix(w, "ly") || !isIntensifier([]byte(w)) {
			t.Errorf("intensifier %q: isIntensifier's -ly check would miss it", w)
		}
	}
}
