"""Distress, as one feature: the detector (:mod:`.detector`: phrases on normalised text with
negation and quotation handling, the model's risk score and the exemplar matcher), the moderators'
flag cards (:mod:`.cards`), the flag desk (:mod:`.desk`: a flag per member, updated by a riskier
message, and a moderator's review), the examples moderators add from reviewed flags
(:mod:`.reviewed`, matched per community by :mod:`.community`) and the crisis resources
(:mod:`.resources`)."""
