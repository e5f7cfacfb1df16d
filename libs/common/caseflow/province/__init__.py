"""The province's deployment (省级监管平台): fed by its cities' deployments (rules §11)."""
