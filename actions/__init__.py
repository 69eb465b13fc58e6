"""What a signed protocol or a centre's decision sets off: prescription renewals, in-person
bookings, consilium notices. Each writes its record and its SMS in one transaction."""
