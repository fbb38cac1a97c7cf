@payouts @payouts_7 @emulator_only
Feature: A payout refused as high-risk is not asked for again
  Proves, in Cryptopay's words:
  - Payouts item 7: Make sure that you process the high_risk_address error correctly and understand that Cryptopay will not be able to process a withdrawal request when the transaction destination address is associated with an illegal/darknet resource and marked as a high-risk
  Cryptopay refuses a payout to a high-risk address and would refuse it again: asking again under another
  reference of the merchant's own only repeats the refusal, when the customer should be told at once. The
  customer's answer can be right while the merchant asked again behind it; only Cryptopay knows how many payouts
  it was asked for. The sandbox neither screens an address as high-risk on demand nor shows the requests it
  refused, so this is proven on the emulator.

  @negative
  Scenario: A payout Cryptopay refused as high-risk is not asked for again
    Given the merchant's Cryptopay account holds 1000.00 EUR to pay customers out
    And a new customer
    And the customer has a balance of 100.00 EUR
    And Cryptopay screens the customer's address in crypto as high-risk
    When the customer asks to withdraw 20.00 EUR, sent in crypto
    Then Cryptopay was asked for the customer's payout once, and refused it as high-risk
    And the merchant told the customer the address was refused as high-risk
    And the customer's balance is untouched
