package serial_test

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/drvsynth/drvsynth/os-interface/serial"
)

func TestEnumsPrintTheirMembers(t *testing.T) {
	assert.Equal(t, "Eight", serial.DataBitsEight.String())
	assert.Equal(t, "DataBits(9)", serial.DataBits(9).String())
	assert.Equal(t, "Space", fmt.Sprint(serial.ParitySpace))
	assert.Equal(t, "Parity(5)", fmt.Sprint(serial.Parity(5)))
	assert.Equal(t, "Two", serial.StopBitsTwo.String())
	assert.Equal(t, "StopBits(2)", serial.StopBits(2).String())
}
