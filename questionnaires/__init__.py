"""Questionnaire files: the format, its loader/validator and the question types."""
from .loader import (Problem, QuestionnaireError, load_questionnaire_file,
                     load_questionnaire_text)
from .model import Questionnaire

STANDARD_QUESTIONNAIRE = "sicherheit-standard.yaml"

__all__ = ["Problem", "Questionnaire", "QuestionnaireError", "STANDARD_QUESTIONNAIRE",
           "load_questionnaire_file", "load_questionnaire_text"]
