"""Decision support: three likely ICD-10 codes from what a patient complains of.

A linear model fitted on RuMedTop3 (real outpatient visits in Russian), shipped as arrays
and JSON and read with numpy. It imports nothing from the rest of the platform, so the
protocol writer, the console and batch tools can all use it.
"""

from decision_support.model import Answer, Suggester, Suggestion, shipped

__all__ = ["Answer", "Suggester", "Suggestion", "shipped"]
