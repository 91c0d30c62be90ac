# Unit tests of the bank's own rules: `plumb gate test examples/gate/policies` runs them (opa
# test semantics: every `test_` rule must be true).
package bank.change

import rego.v1

test_a_change_without_a_ticket_is_denied if {
	some v in deny with input as {"change": {"commit": "abc"}}
	v.id == "BANK-CHG-001"
}

test_a_malformed_ticket_is_denied if {
	some v in deny with input as {"change": {"change_id": "ticket 7"}}
	v.id == "BANK-CHG-001"
}

test_a_ticket_passes if {
	count(deny) == 0 with input as {"change": {"change_id": "CHG-1042"}}
}

test_unowned_paths_are_warned if {
	some v in warn with input as {"codeowners": {"unowned_paths": ["infra/main.tf"]}}
	v.id == "BANK-OWN-001"
	contains(v.msg, "infra/main.tf")
}
