package guest_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/drvsynth/drvsynth/internal/guest"
	"github.com/drvsynth/drvsynth/internal/guest/wire"
)

// The verdict path itself: a scenario /init does not know must end the
// emulator with ExitFailed and the error on the console, not with a pass
// and not by hanging.
func TestQEMUUnknownScenarioFailsTheBoot(t *testing.T) {
	res := guest.Boot{Scenario: "no-such-scenario"}.Run(t)
	assert.False(t, res.Passed())
	assert.Equal(t, wire.Status(wire.ExitFailed), res.Status)
	var msg string
	require.NoError(t, res.Reports.Get("error", &msg))
	assert.Contains(t, msg, `unknown scenario "no-such-scenario"`)
}
