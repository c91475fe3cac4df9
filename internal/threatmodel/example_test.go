package threatmodel_test

import (
	"fmt"

	"github.com/rampart-security/rampart/internal/threatmodel"
)

// Example loads a small model, checks it and prints the open high and
// critical threats with their stable ids and explanations.
func Example() {
	model := []byte(`title: Door lock
elements:
  - {id: app, name: Phone app, type: process, kind: mobile_app, logging: true, input_validation: true}
  - id: lock
    name: Door lock
    type: device
    logging: true
    device:
      default_credentials: universal
      update: {mechanism: ota, signed: true, encrypted: true, rollback_protection: true, automatic: true}
      secure_boot: true
      memory_protection: true
      physical_exposure: secured
flows:
  - {id: unlock, name: Unlock command, from: app, to: lock, protocol: ble, network: radio, encrypted: true, authentication: none, replay_protection: true}
`)
	m, err := threatmodel.Parse(model, "lock.yaml")
	if err != nil {
		fmt.Println(err)
		return
	}
	lib, err := threatmodel.DefaultLibrary()
	if err != nil {
		fmt.Println(err)
		return
	}
	res := lib.Check(m, threatmodel.CheckOptions{Disable: []string{"PROD-*"}})
	for _, t := range res.OpenAtOrAbove("high") {
		fmt.Printf("%s [%s, %s]\n  %s\n", t.ID, t.Severity, t.STRIDE, t.Why)
	}
	// Output:
	// DEV-001@lock [critical, spoofing]
	//   Door lock does not state unique per-device or user-set credentials (default_credentials: universal); one leaked default password opens every unit, as Mirai showed.
	// DEV-015@lock [high, spoofing]
	//   Door lock receives requests on at least one data flow that carries no authentication, so anyone who can reach it can change its state or configuration. Not stated in the model: assumed no authentication.
	// FLOW-020@unlock [high, spoofing]
	//   Door lock accepts Unlock command from Phone app without authentication, so anyone on the radio link can control it.
}

// ExampleParse shows a validation error: file, line, column, path, message.
func ExampleParse() {
	_, err := threatmodel.Parse([]byte("title: x\nelements:\n  - id: hub\n    type: device\n    device:\n      radios: [{type: zigbe}]\n"), "hub.yaml")
	fmt.Println(err)
	// Output:
	// hub.yaml:6:23: elements[0].device.radios[0].type: "zigbe" is not one of ble, bluetooth, wifi, zigbee, thread, zwave, lora, cellular, nfc, sub_ghz, matter, other (did you mean "zigbee"?)
}
