"""scorehouse: customer scoring inside the warehouse (dbt models, Prefect flow, Great Expectations gates)."""

import warnings

# pyspark 4.3, which Great Expectations imports when it is installed, warns about pandas 3 at import; no
# Spark step here uses pandas, so the warning would only clutter every command's output.
warnings.filterwarnings("ignore", message="PySpark does not yet fully support pandas", category=FutureWarning)
