// Package bot is the domain of MLSD, an ML system design interview coach:
// the seven-step framework, scenarios and their rubrics, the deterministic
// grader, the interviewer engine and the ports that adapters and stores
// implement.
//
// It imports the standard library only. Platforms (Slack, Discord, the
// console) translate their events into Inbound messages and render the
// Outbound messages that Bot.Handle returns; stores implement Store.
package bot
