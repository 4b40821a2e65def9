package redis

import _ "embed"

// The Lua scripts, one file each so they can be read and reviewed as Lua.
// Script.Run sends EVALSHA and falls back to EVAL on NOSCRIPT (after a
// failover or SCRIPT FLUSH). No script builds a key name: every key is
// passed in KEYS, all in one hash slot.
var (
	//go:embed lua/save.lua
	saveLua string
	//go:embed lua/publish.lua
	publishLua string
	//go:embed lua/board.lua
	boardLua string
	//go:embed lua/team.lua
	teamLua string
	//go:embed lua/team_read.lua
	teamReadLua string
	//go:embed lua/forget_row.lua
	forgetRowLua string
)

// Outcomes of save.lua (the first element of its reply).
const (
	saveApplied   = 1
	saveDuplicate = 2
	saveStale     = 3
	saveNotActive = 4
	saveHasActive = 5
	// saveAllTexts: the change sent only its changed texts, but the stored
	// session keeps its texts in its document (saved before they moved).
	saveAllTexts = 6
)
