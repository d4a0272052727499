# address name; pairs written by the lab when it arms the exercise's faults
