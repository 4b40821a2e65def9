package bolt

import (
	"bytes"
	"time"

	"go.etcd.io/bbolt"
)

// dueSet is a set of members each due at a time, kept in two buckets:
// index (member → due time) and due (due time + member → nothing), so the
// members due by a time are a prefix scan of due. Idle-interview nudges
// and pending outboxes are both claimed from one.
type dueSet struct{ index, due []byte }

var (
	nudgesDue   = dueSet{index: bucketNudgeMembers, due: bucketNudgeDue}
	outboxesDue = dueSet{index: bucketOutboxIndex, due: bucketOutboxDue}
)

// set makes member due at at, replacing its earlier time.
func (d dueSet) set(tx *bbolt.Tx, member []byte, at time.Time) error {
	if err := d.drop(tx, member); err != nil {
		return err
	}
	if err := tx.Bucket(d.index).Put(member, encodeTime(at)); err != nil {
		return err
	}
	return tx.Bucket(d.due).Put(append(encodeTime(at), member...), nil)
}

// drop removes member.
func (d dueSet) drop(tx *bbolt.Tx, member []byte) error {
	ib := tx.Bucket(d.index)
	old := ib.Get(member)
	if old == nil {
		return nil
	}
	if err := tx.Bucket(d.due).Delete(append(bytes.Clone(old), member...)); err != nil {
		return err
	}
	return ib.Delete(member)
}

// claim returns up to limit members due at or before before, oldest
// first, and makes each due again at before+lease, so another claimer
// skips them until the lease runs out.
func (d dueSet) claim(tx *bbolt.Tx, before time.Time, limit int, lease time.Duration) ([][]byte, error) {
	var members [][]byte
	c := tx.Bucket(d.due).Cursor()
	for k, _ := c.First(); k != nil && len(members) < limit; k, _ = c.Next() {
		if len(k) < 8 || decodeTime(k[:8]).After(before) {
			break
		}
		members = append(members, bytes.Clone(k[8:]))
	}
	for _, m := range members {
		if err := d.set(tx, m, before.Add(lease)); err != nil {
			return nil, err
		}
	}
	return members, nil
}

// claimOne makes member due at before+lease when it is due at or before
// before, and reports whether it did: a member someone else claimed (due
// later) or that is gone is left alone.
func (d dueSet) claimOne(tx *bbolt.Tx, member []byte, before time.Time, lease time.Duration) (bool, error) {
	at := tx.Bucket(d.index).Get(member)
	if len(at) < 8 || decodeTime(at[:8]).After(before) {
		return false, nil
	}
	return true, d.set(tx, member, before.Add(lease))
}
