"""One scan: desired state and live state compared into one verdict per resource."""
