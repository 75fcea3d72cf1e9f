"""repairs: Work orders, multi-milestone SLA clocks, technicians, dispatch, preventive maintenance."""
