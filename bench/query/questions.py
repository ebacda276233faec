"""The seed questions both query benchmarks ask, so their numbers compare."""

QUESTIONS = (
    "What is the CPU usage for the auth service?",
    "How much memory is the payment service using?",
    "What's the error rate for the payment service?",
    "What's the 95th percentile response time for the checkout service?",
    "Show me request rate broken down by endpoint",
    "Which 5 services use the most memory?",
)
