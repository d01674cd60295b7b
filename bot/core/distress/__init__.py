"""Distress, as one feature: the detector (:mod:`.detector`: phrase patterns with negation and
quotation handling, combined with the model's scores and the member's recent messages), the
moderators' flag cards (:mod:`.cards`) and the flag desk (:mod:`.desk`: raise a flag once,
record a moderator's review)."""
