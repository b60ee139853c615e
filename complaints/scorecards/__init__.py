"""The eight-factor service-quality scorecards: assessments, computed negatives, pages, export, API."""
