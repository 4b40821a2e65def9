package main

import (
	"fmt"
	"testing"
	"time"
)

// TestRedisOutageMidInterview cuts Redis in the middle of an interview:
// the answer sent meanwhile gets the "couldn't save that" message and the
// process keeps running; once Redis is back, the same answer is accepted
// and the interview continues from the last saved step.
func TestRedisOutageMidInterview(t *testing.T) {
	p := &proxy{addr: reservePort(t), target: redisTarget(t)}
	p.start(t)
	user := fmt.Sprintf("ada%d", time.Now().UnixNano())
	c := startChild(t, []string{"REDIS_URL=redis://" + p.addr + "/0", "USER=" + user}, "console")
	c.send(t, "/mlsd start email-spam-filtering")
	c.waitFor(t, "Step 1/7")
	c.send(t, "skip")
	c.waitFor(t, "Step 2/7")

	p.stop()
	answer := "I would frame it as binary classification of each message, because we need a spam probability to threshold."
	c.send(t, answer)
	c.waitFor(t, "couldn't save that")

	p.start(t)
	c.send(t, "/mlsd status")
	c.waitFor(t, "step 2/7")
	c.send(t, answer)
	c.waitForMatch(t, heading)
	c.send(t, "/mlsd status")
	c.waitFor(t, "2. Frame as an ML task: “I would frame it as binary classification")
	c.stdin.Close()
	if err := c.cmd.Wait(); err != nil {
		t.Fatalf("mlsd: %v", err)
	}
}
