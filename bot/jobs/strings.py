"""What the jobs say to moderators and on the command line (the core's: bot/core/strings.py)."""

RETRAIN_FAILED_TITLE = "Model retraining failed"
RETRAIN_FAILED_BODY = (
    "The weekly retraining on your members' labels did not produce a new model: {reason}.\n"
    "Nothing changed for members: model {version} keeps serving. The bot's operator can look at "
    "the run with `emotion-bot models list` (log: {log})."
)
RETRAIN_FAILED_FOOTER = "Reported once; the next run that fails the same way stays quiet."

FAILURES = {
    "no_data": "the original training data was not found (set RETRAIN_DATA)",
    "disk": "there is not enough free disk space ({free:.1f} GB free, {need:.1f} GB needed)",
    "crash": "the training process stopped with exit status {code}",
    "timeout": "the training process ran longer than {minutes:.0f} minutes and was stopped",
    "corrupt": "the new model could not be loaded ({problem})",
    "gate": "the evaluation of the new model failed (exit status {code})",
    "parity": "the new model's int8 version does not agree closely enough with the trained one",
    "scheme": "{problem}",
    "error": "an unexpected error ({problem})",
}
