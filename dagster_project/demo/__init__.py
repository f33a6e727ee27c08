"""The deterministic demo group: a mobility group's receivables with a known payment model.

`generator.generate_demo_group` writes canonical landing files (ERP tables per entity, PSP events
per provider, FX rates) and, apart from them, the ground truth the models are scored against.
Pure numpy/pandas: nothing here imports Dagster or Streamlit.
"""
