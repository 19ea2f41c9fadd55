"""SALES_FORECAST, FORECAST_ACCURACY, FORECAST_DRIVERS. Filled in by the forecast issue."""
