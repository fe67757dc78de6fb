"""Folders of the project that the app reads from."""
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent
QUESTIONNAIRE_DIR = PROJECT_DIR / "questionnaires"
