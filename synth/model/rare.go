package model

// A rare transition (`internal NAME rare when ...`) happens at most once
// during one method call: an event of the outside world's clock, such as a
// real-time clock's once-a-second update, beside a method that lasts a few
// microseconds of bus accesses. The state records that it happened as a
// pseudo-event, which, like every event, is forgotten when the next method
// starts (ClearEvents), and which no contract can name.

// RareMark is the name of the pseudo-event a state carries once the rare
// transition t happened during the current method.
func RareMark(t *Transition) string { return "!rare " + t.Name }

// IsPseudoEvent reports whether an event name is one the synthesizer
// records for itself (a rare transition's mark, a failure the device
// chose), not an event of the class.
func IsPseudoEvent(name string) bool { return len(name) > 0 && name[0] == '!' }

// RareSpent reports whether t is rare and already happened in s during the
// current method, so it cannot happen again before the method ends.
func RareSpent(t *Transition, s *State) bool {
	if !t.Rare {
		return false
	}
	return s.HasEvent(RareMark(t))
}

// BetweenMark is the pseudo-event a state carries while it stands for the
// device between two method calls, where between transitions may happen
// (`internal NAME between when ...`): an RTC whose update is announced
// 244 µs before it starts, beside a driver whose accesses after it saw
// UIP clear take far less than that, acts as if no update is announced
// during a call. A method's states never carry it.
const BetweenMark = "!between calls"

// BetweenCalls reports whether s stands for the device between calls.
func BetweenCalls(s *State) bool { return s.HasEvent(BetweenMark) }
