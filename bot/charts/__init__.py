"""matplotlib renderers: the weekly summary chart (:mod:`.summary`) and the word-attribution
chart of ``explain`` (:mod:`.explanation`)."""
