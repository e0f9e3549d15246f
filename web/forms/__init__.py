"""Forms generated from a procedure definition: start inputs and the formats of an activity's records."""
